/**
 * One HTTP exchange between the pool and a guest instance: the request the pool hands in, and the
 * sink the instance's response goes to. Shared by the pool (main thread), the executor threads and
 * both hosts (WASIp2 and WASIp3), so it sits below all of them.
 */

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

/** Where an instance's response goes. Called on the executor thread, in this order. */
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
