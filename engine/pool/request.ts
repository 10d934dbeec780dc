import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { FailureKind } from '../../protocol/index.ts';

/** The caller's side of one request. The pool settles it once (`respond` or `fail`), then streams. */
export interface Responder {
  respond(status: number, headers: Array<[string, Uint8Array]>): void;
  fail(kind: FailureKind, message: string): void;
  chunk(bytes: Uint8Array): void;
  /** The body is complete. `trailers`: the guest's response trailers, if it sent any; the caller
   * decides whether they can reach the client (see server/trailers.ts). */
  end(trailers?: Array<[string, Uint8Array]>): void;
  /** The body broke after the head went out: the caller can only cut the response short. */
  abort(message: string): void;
  /**
   * Calls `listener` once if the client goes away before the response is over (`end`, `fail` or
   * `abort`); at once (in a microtask) if it already has. Absent: the client cannot leave
   * (a leak replay). The pool uses it to stop the guest's body and to drop queued requests.
   */
  onGone?(listener: () => void): void;
  /**
   * Calls `listener` once every byte passed to `chunk` so far has been handed to the client's
   * socket: at once if it has, otherwise when the socket drains. Absent: bytes never wait. The
   * guest's body is paced by it (see thread/response-flow.ts).
   */
  whenWritten?(listener: () => void): void;
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
export const CLIENT_GONE_MESSAGE = 'the client went away before the response was complete';
