import { readFile } from 'node:fs/promises';
import { loadComponent, type LoadedComponent } from './component/load.ts';
import type { GuestFilesystem } from './host/p2/api.ts';
import { EventBus } from './events/event-bus.ts';
import { FreshInstances } from './leaks/fresh-instances.ts';
import { LeakSampler } from './leaks/leak-sampler.ts';
import { watchMemoryGrowth } from './leaks/memory-growth.ts';
import { ProxyHandler, executorsFor } from './pool/proxy-handler.ts';
import type { PoolRequest } from './pool/request.ts';
import {
  applyKnobsPatch,
  applyLeakDetectionPatch,
  DEFAULT_LEAK_DETECTION,
  defaultKnobs,
  type LeakDetectionSettings,
  type PoolKnobs,
} from '../protocol/index.ts';
import { startHttpServer, type HttpFrontDoor } from './server/http-server.ts';
import { RequestDetails } from './server/request-details.ts';

export interface ServeOptions {
  /** A `.wasm` path or `demo:<name>`. */
  component: string;
  knobs?: Partial<PoolKnobs>;
  /** Replaying reused instances' answers on fresh ones (default: off). */
  leakDetection?: Partial<LeakDetectionSettings>;
  /** Default 127.0.0.1:8080. */
  listen?: { host: string; port: number };
  env?: Array<[string, string]>;
  allowOutgoingHttp?: boolean;
  /** Directories preopened for the guest (`--dir`, absolute real paths) and `-S cwd`; default none. */
  filesystem?: GuestFilesystem;
  /** `-H name: value`: replace the client's headers of these names (all of them) before dispatch,
   * as wasmtime's RequestHeaders do; names lowercase. */
  requestHeaders?: ReadonlyArray<readonly [string, string]>;
  bus?: EventBus;
  cacheDir?: string;
  /**
   * Bound on each linear memory a guest defines, in bytes (wasmtime's `-W max-memory-size`):
   * a `memory.grow` past it returns -1. Default 256 MiB (`DEFAULT_MAX_MEMORY_BYTES`).
   */
  maxMemoryBytes?: number;
  /** Executor threads hosting the instances (`--executors`); default one per core. */
  executors?: number;
  /** Subscribe here to see every event, the first instance's included. */
  beforeListen?: (bus: EventBus) => void;
  onFrontDoorError?: (message: string) => void;
}

export interface Serving {
  component: LoadedComponent;
  pool: ProxyHandler;
  leaks: LeakSampler;
  /** Recent requests' headers, sizes and output, for the dashboard's request panel (bounded). */
  details: RequestDetails;
  frontDoor: HttpFrontDoor;
  bus: EventBus;
  /** Graceful: stop accepting, finish what was accepted, let every instance exit. */
  close(): Promise<void>;
}

/** More executors than this is a typo, not a plan: each is a thread (a V8 isolate). */
export const MAX_EXECUTORS = 64;

/** A knob value that cannot be used; the message names the knob and the rule. */
export class InvalidKnobsError extends Error {
  override name = 'InvalidKnobsError';
}

/**
 * Refuses preopened directories (`--dir`) to a WASIp3 guest importing wasi:filesystem@0.3, which
 * Poolscope does not implement. Checked on the loaded component before anything changes: by
 * `startServing`, and by a dashboard's load before the old component stops serving.
 */
export async function checkFilesystemFor(
  component: LoadedComponent,
  filesystem: GuestFilesystem | undefined,
): Promise<void> {
  if (!filesystem || filesystem.preopens.length === 0 || component.world !== 'wasip3') return;
  const { importsFilesystemP3 } = await import('./host/p3/capabilities.ts');
  if (importsFilesystemP3(await readFile(component.path))) {
    throw new InvalidKnobsError(
      `${component.spec} imports wasi:filesystem@0.3, which Poolscope does not implement, so it cannot be given preopened directories ` +
        '(--dir works for guests importing wasi:filesystem@0.2, as Rust WASIp3 guests do; the 0.3 filesystem of preview3-shim cannot be confined to them)',
    );
  }
}

/** Load a component, build its pool and open the HTTP front door: `poolscope serve` as a function. */
export async function startServing(options: ServeOptions): Promise<Serving> {
  // Validate the knobs before the (possibly slow) load, so a typo fails at once.
  const checked = applyKnobsPatch(defaultKnobs('wasip2'), options.knobs ?? {});
  if (!checked.ok) throw new InvalidKnobsError(checked.error);
  const leakSettings = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, options.leakDetection ?? {});
  if (!leakSettings.ok) throw new InvalidKnobsError(leakSettings.error);
  if (
    options.executors !== undefined &&
    !(Number.isSafeInteger(options.executors) && options.executors >= 1 && options.executors <= MAX_EXECUTORS)
  ) {
    throw new InvalidKnobsError(
      `executors must be a whole number from 1 to ${MAX_EXECUTORS}, got ${options.executors}`,
    );
  }
  if (
    options.maxMemoryBytes !== undefined &&
    !(Number.isSafeInteger(options.maxMemoryBytes) && options.maxMemoryBytes >= 0)
  ) {
    throw new InvalidKnobsError(`max-memory-size must be a whole number of bytes, got ${options.maxMemoryBytes}`);
  }

  const component = await loadComponent(options.component, {
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.maxMemoryBytes !== undefined ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
  });
  const filesystem = options.filesystem;
  await checkFilesystemFor(component, filesystem);
  const bus = options.bus ?? new EventBus();
  const executors = executorsFor(component, options.allowOutgoingHttp ?? false, options.executors, filesystem);
  try {
    await executors.ready();
  } catch (error) {
    executors.close();
    throw error;
  }
  const pool = new ProxyHandler({
    component,
    executors,
    bus,
    ...(options.knobs ? { knobs: options.knobs } : {}),
    env: options.env ?? [],
    allowOutgoingHttp: options.allowOutgoingHttp ?? false,
  });
  const leaks = new LeakSampler({
    bus,
    fresh: new FreshInstances({
      component,
      env: options.env ?? [],
      allowOutgoingHttp: options.allowOutgoingHttp ?? false,
      executors,
    }),
    settings: leakSettings.settings,
    requestTimeoutMs: () => pool.knobs.requestTimeoutMs,
  });
  const stopWatchingMemory = watchMemoryGrowth(bus);
  const details = new RequestDetails(bus);
  options.beforeListen?.(bus);
  let frontDoor: HttpFrontDoor;
  try {
    frontDoor = await startHttpServer(pool, options.listen ?? { host: '127.0.0.1', port: 8080 }, {
      ...(options.onFrontDoorError ? { onError: options.onFrontDoorError } : {}),
      observe: (request) => details.observe(leaks.observe(withRequestHeaders(request, options.requestHeaders))),
    });
  } catch (error) {
    pool.terminate();
    stopWatchingMemory();
    details.close();
    await leaks.close();
    executors.close();
    throw error;
  }
  return {
    component,
    pool,
    leaks,
    details,
    frontDoor,
    bus,
    close: async () => {
      await frontDoor.close();
      await Promise.all([pool.shutdown(), leaks.close()]);
      executors.close();
      stopWatchingMemory();
      details.close();
    },
  };
}

/** The request with `-H` headers applied: every header of their names removed, then each appended
 * in order (so repeated `-H` of one name are all kept), as wasmtime's `RequestHeaders::apply`. */
export function withRequestHeaders(
  request: PoolRequest,
  headers: ReadonlyArray<readonly [string, string]> | undefined,
): PoolRequest {
  if (!headers || headers.length === 0) return request;
  const replaced = new Set(headers.map(([name]) => name));
  const encoder = new TextEncoder();
  return {
    ...request,
    init: {
      ...request.init,
      headers: [
        ...request.init.headers.filter(([name]) => !replaced.has(name.toLowerCase())),
        ...headers.map(([name, value]) => [name, encoder.encode(value)] as const),
      ],
    },
  };
}
