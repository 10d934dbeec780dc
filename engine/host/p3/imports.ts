/**
 * The import object for WASIp3 guests (`wasi:http/handler@0.3.x`), one per guest instance.
 *
 * Real p3 guests are mixed: the wasmtime test programs (Rust, wasm32-wasip2 std + wit-bindgen
 * p3) import `wasi:http/types@0.3.0` and `wasi:clocks/monotonic-clock@0.3.0`, but their standard
 * library still imports `wasi:cli/*@0.2`, `wasi:io/*@0.2` and `wasi:filesystem/*@0.2`. jco keys
 * the import object by *unversioned* name, so both versions of an interface read the same
 * object. We therefore start from Poolscope's own WASIp2 host (per-instance stdout/stderr
 * capture, environment, preopens only with `--dir`, no sockets) and add the WASIp3 members next to the p2 ones
 * where the names differ (`get-initial-cwd` beside `initial-cwd`, `write-via-stream` beside
 * `get-stdout`, `wait-for` beside `subscribe-duration`, ...). Where the same member name has two
 * meanings the p3 one wins; that only happens for `wasi:http/types` (a guest importing both
 * `wasi:http/types@0.2` and `@0.3` cannot be served) and `ip-name-lookup.resolve-addresses`
 * (dispatched on its argument count).
 *
 * `wasi:http/types@0.3` (fields, request, response, request-options) is
 * `@bytecodealliance/preview3-shim`'s: the transpiled glue checks `instanceof` against the
 * classes given here, and p3-instance.ts builds incoming requests with the same classes.
 * Nothing of the shim with module-level state is used (its cli/env/preopen modules write to the
 * process's own stdio and environment), so everything here is per instance. Its client is not
 * used either: `wasi:http/client.send` is outgoing.ts, over the instance's outgoing client (the
 * one its p2 `outgoing-handler` uses too).
 */

import * as shimHttp from '@bytecodealliance/preview3-shim/http';
import { StreamReader } from '@bytecodealliance/preview3-shim/stream';
import type { OutgoingRecordListener } from '../outgoing/types.ts';
import type { GuestFilesystem, GuestOutputSink } from '../p2/api.ts';
import { createP2Host } from '../p2/index.ts';
import { monotonicNow } from '../p2/poll.ts';
import { createP3Send, type ShimHttpTypes } from './outgoing.ts';

export interface P3ImportsOptions {
  /** Environment variables the guest sees (Poolscope adds INSTANCE_ID). */
  env: ReadonlyArray<readonly [string, string]>;
  output: GuestOutputSink;
  /** When false, outgoing HTTP (`wasi:http/client.send`, imported `wasi:http/handler.handle`,
   * p2 `outgoing-handler.handle`) fails with `HTTP-request-denied`. */
  allowOutgoingHttp: boolean;
  /** Called once per outgoing request, either world's, when it is over (see `OutgoingRecord`). */
  onOutgoingRequest?: OutgoingRecordListener | undefined;
  /** Called before a p2 blocking call (`pollable.block()`, ...) suspends the instance. */
  beforeBlock?: () => void;
  /** Preopened directories and `-S cwd`, served through the p2 host's wasi:filesystem@0.2
   * (a guest importing wasi:filesystem@0.3 is refused them: see capabilities.ts). */
  filesystem?: GuestFilesystem | undefined;
}

export interface P3Imports {
  imports: Record<string, Record<string, unknown>>;
  /** Cancels the host timers of pending `wait-for`/`wait-until` calls and fails them, so the
   * guest tasks waiting on them unwind. */
  dispose(): void;
}

/** The slice of preview3-shim's Node `wasi:http/types@0.3` classes we use. (The package's
 * typings resolve to its browser build, whose declarations differ from the Node build we run.) */
export interface P3Fields {
  copyAll(): Array<[string, Uint8Array]>;
}
export interface P3Request {
  setMethod(method: string): void;
  setScheme(scheme: string): void;
  setAuthority(authority: string): void;
  setPathWithQuery(pathWithQuery: string): void;
}
export interface P3Response {
  getStatusCode(): number;
  getHeaders(): P3Fields;
  /** Completes the future `response.new` returned to the guest (how transmission went). */
  _resolve(result: { tag: 'ok' | 'err'; val?: unknown }): void;
}
/** A readable `stream<u8>` end as the shim hands it out: chunks, then `null` at the end. */
export interface P3ByteReader {
  read(): Promise<unknown>;
  [Symbol.dispose]?(): void;
}
export interface P3HttpTypes {
  Fields: { fromList(entries: Array<[string, Uint8Array]>): P3Fields };
  Request: (abstract new (
    ...args: never[]
  ) => P3Request) & {
    new: (headers: P3Fields, contents: unknown, trailers: unknown, options: unknown) => [P3Request, unknown];
  };
  RequestOptions: unknown;
  Response: (abstract new (
    ...args: never[]
  ) => P3Response) & {
    new: (headers: P3Fields, contents: unknown, trailers: unknown) => [P3Response, unknown];
    consumeBody(response: P3Response, res: unknown): [P3ByteReader | null, { read(): Promise<unknown> }];
  };
}

// The package's typings are its browser build's (see above); at run time, in Node, this is its Node
// build, whose `types` has the P3HttpTypes members.
const shim = shimHttp as unknown as { types: P3HttpTypes };

/** `wasi:http/types@0.3` as the transpiled glue destructures it (`Fields`, `Request`, ...). */
export const httpTypes: P3HttpTypes = shim.types;

/**
 * Drops the guest's body stream (the glue's readable end of its `stream<u8>`) of a response or an
 * outgoing request the guest built, so its pending and later writes report the reader gone.
 * Closing or cancelling the body that `consume-body` returns does not: the shim reads the guest's
 * stream through a ReadableStream that its StreamReader iterates with `preventCancel`, and only
 * drops the guest's end when a message whose body was never consumed is disposed. Without this a
 * guest writing to a departed client (or to a failed upstream) would wait in its write forever.
 * Idempotent.
 */
export function dropGuestBody(message: object): void {
  const drop = guestBodies.get(message);
  guestBodies.delete(message);
  drop?.();
}

/** `response.new`'s and `request.new`'s contents, by message: wraps the shim's `Response.new` and
 * `Request.new` (once per thread; the glue looks `new` up on the class at each call). */
const guestBodies = new WeakMap<object, () => void>();
function remember(message: object, contents: unknown): void {
  if (typeof contents !== 'object' || contents === null || !(Symbol.dispose in contents)) return;
  const drop = contents[Symbol.dispose];
  if (typeof drop === 'function') guestBodies.set(message, () => drop.call(contents));
}
const shimResponseNew = httpTypes.Response.new.bind(httpTypes.Response);
httpTypes.Response.new = (headers, contents, trailers) => {
  const result = shimResponseNew(headers, contents, trailers);
  remember(result[0], contents);
  return result;
};
const shimRequestNew = httpTypes.Request.new.bind(httpTypes.Request);
httpTypes.Request.new = (headers, contents, trailers, options) => {
  const result = shimRequestNew(headers, contents, trailers, options);
  remember(result[0], contents);
  return result;
};

const SOCKET_ACCESS_DENIED = Object.freeze({ tag: 'access-denied' });
const OK_UNIT = Object.freeze({ tag: 'ok', val: undefined });
/** setTimeout's largest delay (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A chunk a glue stream read produced: bytes, or an iterator result holding bytes. */
type StreamReadResult = Uint8Array | ArrayBuffer | number[] | null | undefined | { value?: unknown; done: boolean };

interface GlueByteStream {
  read(opts?: { count: number }): Promise<StreamReadResult>;
  [Symbol.dispose]?: () => void;
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value == null) return undefined;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value)) return Uint8Array.from(value);
  if (typeof value === 'object' && 'done' in value) return toBytes('value' in value ? value.value : undefined);
  return undefined;
}

/** Reads a guest `stream<u8>` (as the glue lifts it) to its end. */
async function drainGuestStream(stream: GlueByteStream, onChunk: (bytes: Uint8Array) => void): Promise<void> {
  for (;;) {
    const result = await stream.read({ count: 64 * 1024 });
    const bytes = toBytes(result);
    if (bytes && bytes.length > 0) onChunk(bytes);
    const done = result == null || (typeof result === 'object' && 'done' in result && result.done === true);
    if (done) return;
  }
}

export function createP3Imports(options: P3ImportsOptions): P3Imports {
  // Ends the p2 blocking calls (JSPI-suspended, like the p3 waits below) on dispose.
  const p2Abort = new AbortController();
  const p2Host = createP2Host({
    env: options.env,
    output: options.output,
    allowOutgoingHttp: options.allowOutgoingHttp,
    onOutgoingRequest: options.onOutgoingRequest,
    beforeBlock: options.beforeBlock,
    signal: p2Abort.signal,
    filesystem: options.filesystem,
  });
  const p2 = p2Host.imports;
  const from = (name: string): Record<string, unknown> => p2[name] ?? {};

  // --- wasi:clocks/monotonic-clock@0.3: async waits on host timers. On dispose they fail: a
  // wait that never settles keeps jco's scheduler polling (a 10 ms timer) for as long as the
  // task is suspended, which would keep the thread's event loop busy forever.
  type TimerWait = { timer: NodeJS.Timeout | undefined; fail: (error: Error) => void };
  const waits = new Set<TimerWait>();
  let disposed = false;
  const waitUntil = (when: bigint): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (disposed) {
        reject(new Error('the instance was disposed'));
        return;
      }
      const wait: TimerWait = { timer: undefined, fail: reject };
      const arm = (): void => {
        const remainingNs = when - monotonicNow();
        if (remainingNs <= 0n) {
          waits.delete(wait);
          resolve();
          return;
        }
        // Round up to whole milliseconds so we never wake early; chain waits beyond ~24.8 days
        // (setTimeout would otherwise clamp them to 1 ms and spin).
        const ms = Number((remainingNs + 999_999n) / 1_000_000n);
        wait.timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
      };
      waits.add(wait);
      arm();
    });

  // --- wasi:cli/std{out,err}@0.3: `write-via-stream` drains the guest's stream into the sink.
  const writeViaStream = (stream: 'stdout' | 'stderr') => async (data: GlueByteStream) => {
    try {
      await drainGuestStream(data, (bytes) => options.output.write(stream, bytes));
      return OK_UNIT;
    } catch {
      return { tag: 'err', val: 'io' };
    }
  };

  // --- outgoing HTTP, p3: the instance's outgoing client, shared with its p2 outgoing-handler
  // (same policy, bounds, error codes and records; see outgoing.ts). Disposing the instance
  // aborts p2Abort, which lets go of every request in flight.
  // The same shim classes, through the slice outgoing.ts declares (P3HttpTypes declares another).
  const send = createP3Send(p2Host.outgoing, httpTypes as unknown as ShimHttpTypes, dropGuestBody);

  // The p2 host's import object types its members as unknown; this one is its resolve-addresses
  // function (p2/index.ts).
  const p2Resolve = from('wasi:sockets/ip-name-lookup')['resolveAddresses'] as (...args: unknown[]) => unknown;

  const imports: Record<string, Record<string, unknown>> = {
    ...p2,
    'wasi:cli/environment': {
      ...from('wasi:cli/environment'),
      getInitialCwd: (): string | undefined => options.filesystem?.initialCwd,
    },
    'wasi:cli/stdin': {
      ...from('wasi:cli/stdin'),
      // An empty stdin, already at its end.
      readViaStream: (): [StreamReader, Promise<typeof OK_UNIT>] => [new StreamReader([]), Promise.resolve(OK_UNIT)],
    },
    'wasi:cli/stdout': { ...from('wasi:cli/stdout'), writeViaStream: writeViaStream('stdout') },
    'wasi:cli/stderr': { ...from('wasi:cli/stderr'), writeViaStream: writeViaStream('stderr') },
    'wasi:cli/types': {},
    'wasi:clocks/types': {},
    'wasi:clocks/monotonic-clock': {
      ...from('wasi:clocks/monotonic-clock'),
      getResolution: (): bigint => 1n,
      waitUntil,
      waitFor: (howLong: bigint): Promise<void> =>
        howLong <= 0n ? Promise.resolve() : waitUntil(monotonicNow() + howLong),
    },
    'wasi:clocks/system-clock': {
      // The p2 host's wall-clock `now` (typed unknown there): p3's system-clock reads the same clock.
      now: from('wasi:clocks/wall-clock')['now'] as () => unknown,
      getResolution: (): bigint => 1_000_000n,
    },
    'wasi:random/insecure-seed': {
      ...from('wasi:random/insecure-seed'),
      getInsecureSeed: from('wasi:random/insecure-seed')['insecureSeed'],
    },
    'wasi:sockets/types': { TcpSocket: DeniedSocket, UdpSocket: DeniedSocket },
    'wasi:sockets/ip-name-lookup': {
      ...from('wasi:sockets/ip-name-lookup'),
      // p2: resolve-addresses(network, name) -> result<stream>; p3: async (name) -> result<list>.
      resolveAddresses: (...args: unknown[]): unknown =>
        args.length >= 2 ? p2Resolve(...args) : Promise.reject({ payload: SOCKET_ACCESS_DENIED }),
    },
    // The import object is keyed by member name; P3HttpTypes lists the members but has no index signature.
    'wasi:http/types': httpTypes as unknown as Record<string, unknown>,
    'wasi:http/client': { send },
    // WASI 0.3 release candidates sent outgoing requests through an *imported* handler.
    'wasi:http/handler': { handle: send },
  };

  return {
    imports,
    dispose() {
      if (disposed) return;
      disposed = true;
      const error = new Error('the instance was disposed');
      for (const wait of waits) {
        clearTimeout(wait.timer);
        wait.fail(error);
      }
      waits.clear();
      p2Abort.abort(error);
    },
  };
}

/** wasi:sockets/types@0.3 tcp-socket / udp-socket: `create` is denied, so no socket ever exists. */
class DeniedSocket {
  static create(_addressFamily: unknown): never {
    throw { payload: SOCKET_ACCESS_DENIED };
  }
}
