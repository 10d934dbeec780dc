import type { GuestOutputSink } from '../host/p2/api.ts';
import type { IncomingRequestInit, ResponseSink } from '../../base/http-exchange.ts';
import { INTERRUPT_MODULE, interruptImports } from '../component/interrupt-instrument.ts';
import type { OutgoingRecordListener } from '../host/outgoing/types.ts';
import type { InstanceThreadData } from './messages.ts';

/** One instantiated guest inside an instance thread, whatever its world. */
export interface GuestInstance {
  /** Runs the guest's handler for one request; resolves (or returns) when the handler is done. */
  handle(init: IncomingRequestInit, sink: ResponseSink): void | Promise<void>;
  /** Bytes of linear memory the instance holds now. */
  memoryBytes(): number;
  /** WASIp3: reports guest activity that outlives `handle` (bodies streaming, spawned tasks)
   * whenever its count changes; the instance stays in PostReturn until it is 0. */
  watchTasks?(listener: (pending: number) => void): void;
  /** WASIp3: reports whether the guest accepts another call (component-model backpressure). */
  watchReady?(listener: (ready: boolean) => void): void;
  /** True when many `handle` calls may run at once on this instance (WASIp3). */
  readonly concurrent: boolean;
  /** WASIp3: a trap outside any `handle` call (in post-return work) poisons the instance too. */
  onTrap?(listener: (error: unknown) => void): void;
  /** Releases what the instance holds (timers, pending calls) when it is dropped. */
  dispose?(): void;
}

export interface InstantiateOptions {
  data: InstanceThreadData;
  env: Array<[string, string]>;
  output: GuestOutputSink;
  /** Called before the guest suspends in a blocking call (flush what it sent so far). */
  beforeBlock: () => void;
  /** Aborted when the instance is disposed or killed: pending blocking calls reject and unwind. */
  signal?: AbortSignal;
  /** The instance's interrupt cell (see component/interrupt-instrument.ts): non-zero stops its guest code. */
  interrupt?: Int32Array;
  /** Called once per outgoing HTTP request of the guest, when it is over (see host/outgoing/types.ts). */
  onOutgoingRequest?: OutgoingRecordListener;
}

interface TranspiledModule {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
  ): Promise<Record<string, unknown>>;
}

/** The generated glue, imported once per thread and URL (tests load several components in one thread). */
const glues = new Map<string, Promise<unknown>>();

/** Imports the glue at `url` (once per thread), for both worlds and the executor's eager load. */
export function importGlue<T>(url: string): Promise<T> {
  let glue = glues.get(url);
  if (!glue) {
    glue = import(url);
    glues.set(url, glue);
  }
  // jco's generated glue module is untyped JS: the caller names the shape it relies on.
  return glue as Promise<T>;
}

/**
 * Adds the interrupt check to a core module's imports when the module asks for it (instrumented
 * modules do, see component/interrupt-instrument.ts). `interrupt[0]` non-zero makes it throw;
 * `interrupt[1]` counts the checks, so the pool can tell an interrupted guest that goes on running
 * (one that catches the exception) from an executor merely busy with other instances.
 * Without a cell the check never fires.
 */
export function withInterrupt(
  module: WebAssembly.Module,
  imports: WebAssembly.Imports | undefined,
  interrupt: Int32Array | undefined,
): WebAssembly.Imports {
  const all: WebAssembly.Imports = { ...imports };
  if (WebAssembly.Module.imports(module).some((entry) => entry.module === INTERRUPT_MODULE)) {
    Object.assign(all, interruptImports(interrupt ?? NEVER_INTERRUPTED, 0, 1));
  }
  return all;
}

const NEVER_INTERRUPTED = new Int32Array(2);

/**
 * Instantiates the transpiled component against `imports`, recording the linear memories its core
 * instances export so memory growth per request can be reported. The generated module is imported
 * once per thread; the compiled core modules come from the main thread (never recompiled).
 */
export async function instantiateTranspiled(
  data: InstanceThreadData,
  imports: Record<string, unknown>,
  interrupt?: Int32Array,
): Promise<{ exports: Record<string, unknown>; memoryBytes: () => number }> {
  const module = await importGlue<TranspiledModule>(data.moduleUrl);
  const memories = new Set<WebAssembly.Memory>();
  const exports = await module.instantiate(
    (name) => {
      const compiled = data.coreModules[name];
      if (!compiled) throw new Error(`transpiled component asked for unknown core module ${name}`);
      return compiled;
    },
    imports,
    async (compiled, coreImports) => {
      // Synchronous instantiation of an already compiled module: the async form queues work on
      // V8's shared platform threads, which many instance threads then contend for.
      const instance = new WebAssembly.Instance(compiled, withInterrupt(compiled, coreImports, interrupt));
      for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
      return instance;
    },
  );
  return {
    exports,
    memoryBytes: () => {
      let total = 0;
      for (const memory of memories) total += memory.buffer.byteLength;
      return total;
    },
  };
}
