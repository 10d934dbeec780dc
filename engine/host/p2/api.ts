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
import type { IncomingRequestInit, ResponseSink } from '../../../base/http-exchange.ts';

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
