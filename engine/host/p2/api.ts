/**
 * The contract of Poolscope's own WASIp2 host (the imports a jco-transpiled guest instantiates
 * against). It runs inside an executor thread beside other instances: one host object per guest
 * instance.
 *
 * Blocking calls (`pollable.block`, `poll`, blocking stream writes) return Promises: the guest is
 * transpiled with jco's JSPI mode, so such a call suspends only its own instance's wasm stack.
 * The other calls are synchronous.
 *
 * Why our own host and not preview2-shim: the shim's Node build cannot build an incoming request
 * from host code, and its streams live in its own I/O worker. We need in-thread request/response
 * plumbing whose waits belong to one instance (and end when that instance is aborted).
 */

import type { OutgoingClient } from '../outgoing/client.ts';
import type { OutgoingRecordListener } from '../outgoing/types.ts';

/** A request as the pool hands it to an instance. The body is fully buffered. */
export interface IncomingRequestInit {
  method: string;
  scheme: 'http' | 'https';
  /** Host header value, e.g. `127.0.0.1:8080`. */
  authority: string;
  /** e.g. `/path?ms=10`. */
  pathWithQuery: string;
  headers: ReadonlyArray<readonly [name: string, value: Uint8Array]>;
  body: Uint8Array;
  /** The trailers that followed a chunked body, as received (absent or empty: none). The guest
   * sees them, without the forbidden ones, through `incoming-body.finish` (p2) or the request's
   * trailers future (p3). */
  trailers?: ReadonlyArray<readonly [name: string, value: Uint8Array]>;
}

/** Where an instance's response goes. Called on the worker thread, in this order. */
export interface ResponseSink {
  /** `response-outparam.set(ok(response))`: the head is final. Called at most once. */
  head(status: number, headers: Array<[name: string, value: Uint8Array]>): void;
  /** `response-outparam.set(err(error-code))`. `message` renders the error-code readably. */
  error(message: string): void;
  /** A body chunk, after `head` (chunks written before `set` are held until then). */
  chunk(bytes: Uint8Array): void;
  /** `outgoing-body.finish`: the body is complete; `trailers` are the guest's (absent: none, or an
   * empty list). Whether they reach the client is the front door's business (server/trailers.ts). */
  end(trailers?: Array<[name: string, value: Uint8Array]>): void;
  /** The outgoing-body was dropped without `finish`, or finish failed: the body is truncated. */
  abort(message: string): void;
  /** How much body the client can take now (backpressure, and whether it is still there).
   * Absent: the sink takes anything at once and never goes away. */
  window?: WriteWindow;
}

/**
 * The room a response body has on its way to the client. Writes wait while `available()` is 0
 * and fail with `closed` once it is -1 (the client went away).
 */
export interface WriteWindow {
  /** Bytes the sink takes now without waiting; 0 while the client is behind; -1 once it left. */
  available(): number;
  /** Index 0 changes (and is `Atomics.notify`d) whenever `available()` may have changed. */
  readonly signal: Int32Array;
}

export interface GuestOutputSink {
  /** Raw bytes the guest wrote to stdout or stderr; line buffering is the caller's job. */
  write(stream: 'stdout' | 'stderr', bytes: Uint8Array): void;
}

export interface P2HostOptions {
  /** Environment variables the guest sees (Poolscope adds INSTANCE_ID). */
  env: ReadonlyArray<readonly [string, string]>;
  output: GuestOutputSink;
  /** When false (the default), outgoing HTTP fails with `HTTP-request-denied`. */
  allowOutgoingHttp: boolean;
  /** Called once per outgoing request of this instance (either world), when it is over: completed,
   * failed (a denied one too) or let go. See `OutgoingRecord` (../outgoing/types.ts). */
  onOutgoingRequest?: OutgoingRecordListener | undefined;
  /** Called right before a blocking call of this instance really waits (the instance suspends). */
  beforeBlock?: (() => void) | undefined;
  /** Aborted when the instance is killed or disposed: every pending wait rejects with
   * `signal.reason` (the suspended wasm stack unwinds), and every later blocking call at once.
   * Also closes the files the guest still holds open (filesystem.ts). */
  signal?: AbortSignal | undefined;
  /** Host directories the guest sees through wasi:filesystem (`--dir`); none by default. */
  filesystem?: GuestFilesystem | undefined;
}

/**
 * One `--dir HOST::GUEST`, opened once when serving starts (`openPreopen` in filesystem.ts):
 * `host` is its absolute, symlink-free path (shown, never opened again); `fd` the descriptor
 * that has held the directory since, process-wide (executors are threads of one process, so the
 * number means the same on each); `dev` and `ino` its identity then, in decimal. Each instance
 * opens its own descriptor from `fd` (through `/proc/self/fd`), never from `host`, and refuses to
 * start if what `fd` holds is not that directory any more.
 */
export interface Preopen {
  host: string;
  guest: string;
  fd: number;
  dev: string;
  ino: string;
}

/** What of the host's filesystem a guest sees: its preopened directories (read-write, as
 * wasmtime's `--dir`), and the working directory `wasi:cli/environment` reports (`-S cwd`). */
export interface GuestFilesystem {
  preopens: readonly Preopen[];
  initialCwd?: string | undefined;
}

export interface P2Host {
  /** The import object for the transpiled `instantiate(getCoreModule, imports)`, keyed by
   * unversioned interface name (`wasi:http/types`, `wasi:io/streams`, ...). */
  imports: Record<string, Record<string, unknown>>;
  /** Builds the two arguments of `wasi:http/incoming-handler.handle`. */
  newRequest(init: IncomingRequestInit, sink: ResponseSink): { request: unknown; responseOutparam: unknown };
  /** The interfaces this host implements, unversioned; used to reject guests that import others. */
  supportedInterfaces: ReadonlySet<string>;
  /** The instance's outgoing HTTP client (its policy, bounds and records), which the WASIp3 host
   * shares for `wasi:http/client.send`. */
  outgoing: OutgoingClient;
}

/** Thrown by `wasi:cli/exit.exit`: ends the instance like a trap (spec §6). */
export class GuestExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`guest called wasi:cli/exit with status ${code}`);
    this.name = 'GuestExit';
    this.code = code;
  }
}
