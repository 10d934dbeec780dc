import type { IncomingRequestInit } from '../host/p2/api.ts';
import type { FailureKind } from '../protocol/index.ts';

/** The caller's side of one request. The pool settles it once (`respond` or `fail`), then streams. */
export interface Responder {
  respond(status: number, headers: Array<[string, Uint8Array]>): void;
  fail(kind: FailureKind, message: string): void;
  chunk(bytes: Uint8Array): void;
  end(): void;
  /** The body broke after the head went out: the caller can only cut the response short. */
  abort(message: string): void;
}

/** wasmtime's work item: request data, the request, and the one-shot settle channel. */
export interface PoolRequest {
  id: number;
  init: IncomingRequestInit;
  /** Engine time of receipt, for latencies. */
  receivedAt: number;
  responder: Responder;
}

export const NEVER_SET_MESSAGE = 'guest never invoked `response-outparam::set` method';
export const TIMED_OUT_MESSAGE = 'guest timed out';
