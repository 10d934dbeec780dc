/**
 * What a WASIp2 guest's outgoing request gives back, over a live `OutgoingExchange`
 * (../outgoing/exchange.ts): the `future-incoming-response`, the `incoming-response`, its
 * streaming `incoming-body` and body `input-stream`, and its trailers. As in wasmtime
 * (crates/wasi-http/src/p2/types_impl.rs, body.rs):
 * - the future is ready once the response head arrived or the request failed; `get` answers
 *   `none` before, `some(ok(ok(response)))` or `some(ok(err(code)))` once, then `some(err(()))`;
 * - the response's headers are immutable and hold no forbidden header; `consume` works once;
 * - the body stream hands over what has arrived (`read` never waits, `blocking-read` waits for
 *   something), then fails once with the error the body ended with (`last-operation-failed`, its
 *   `http-error-code` the error-code), then reports `closed`;
 * - `incoming-body.finish` gives a `future-trailers` that resolves when the body has ended;
 *   asking for it without reading the body on drops the rest of the body as it arrives;
 * - dropping the future, the response before `consume`, or the body before `finish` closes the
 *   connection;
 * - the exchange counts against its instance's bound until the guest has let go of it: dropped
 *   one of these, or took the response (`get` tells the exchange) and read its body to the end.
 *
 * The classes the guest sees are the ones the import object names (`IncomingResponse`,
 * `IncomingBody`, `InputStream`, shared with the incoming request), as the glue checks
 * `instanceof` against them: the response and body classes here extend them, and the stream's
 * prototype chain leads to `InputStream` (its blocking calls return promises, which the base
 * class's signatures do not describe).
 */

import type { ResponseSink } from '../../../base/http-exchange.ts';
import { describeErrorCode, type HttpErrorCode } from './http-error.ts';
import { IncomingBody, IncomingResponse, type TrailersOutcome, type TrailersSource } from './http-incoming.ts';
import { IoError } from './io-error.ts';
import { Pollable } from './poll.ts';
import { clampLength, failUnit } from './result.ts';
import { failStream, InputStream, STREAM_CLOSED } from './streams.ts';
import { UNSCOPED, type Waiter } from './wait.ts';
import { HTTP_PROTOCOL_ERROR } from '../outgoing/error-codes.ts';
import { BODY_END, type OutgoingExchange } from '../outgoing/exchange.ts';

const EMPTY = new Uint8Array(0);
/** `some(err(()))`: the value was already taken. */
const ALREADY_TAKEN = Object.freeze({ tag: 'err', val: undefined });
/** The most one read hands over (the glue copies it into guest memory). */
const MAX_READ = 0x7fff_ffff;

type ResponseResult = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: HttpErrorCode };

/** wasi:http/types.future-incoming-response, for a request in flight. */
export class FutureIncomingResponse {
  readonly #exchange: OutgoingExchange;
  readonly #waiter: Waiter;
  #taken = false;

  constructor(exchange: OutgoingExchange, waiter: Waiter = UNSCOPED) {
    this.#exchange = exchange;
    this.#waiter = waiter;
  }

  subscribe(): Pollable {
    const exchange = this.#exchange;
    return new Pollable(
      0n,
      { signal: exchange.signal, condition: () => exchange.head().state !== 'pending' },
      this.#waiter,
    );
  }

  get(): { tag: 'ok'; val: ResponseResult } | typeof ALREADY_TAKEN | undefined {
    if (this.#taken) return ALREADY_TAKEN;
    const head = this.#exchange.takeHead();
    if (head.state === 'pending') return undefined;
    this.#taken = true;
    if (head.state === 'failed') return { tag: 'ok', val: { tag: 'err', val: head.error } };
    return {
      tag: 'ok',
      val: { tag: 'ok', val: new UpstreamResponse(this.#exchange, head.status, head.headers, this.#waiter) },
    };
  }

  /** Dropped before its response was taken: the request is let go (wasmtime aborts its task). */
  [Symbol.dispose](): void {
    if (!this.#taken) this.#exchange.cancel();
  }
}

/** wasi:http/types.incoming-response of an upstream. */
export class UpstreamResponse extends IncomingResponse {
  readonly #exchange: OutgoingExchange;
  readonly #waiter: Waiter;
  #consumed = false;

  constructor(exchange: OutgoingExchange, status: number, headers: Array<[string, Uint8Array]>, waiter: Waiter) {
    super(status, headers, EMPTY);
    this.#exchange = exchange;
    this.#waiter = waiter;
  }

  override consume(): IncomingBody {
    if (this.#consumed) failUnit();
    this.#consumed = true;
    return new UpstreamBody(this.#exchange, this.#waiter);
  }

  /** Dropped without its body taken: the connection is closed. */
  [Symbol.dispose](): void {
    if (!this.#consumed) this.#exchange.cancel();
  }
}

/** wasi:http/types.incoming-body of an upstream response. */
export class UpstreamBody extends IncomingBody {
  readonly #exchange: OutgoingExchange;
  readonly #waiter: Waiter;
  readonly #trailers: UpstreamTrailers;
  #streamTaken = false;
  #streamOpen = false;

  constructor(exchange: OutgoingExchange, waiter: Waiter, trailers = new UpstreamTrailers(exchange, waiter)) {
    super(EMPTY, waiter, trailers);
    trailers.body = this;
    this.#exchange = exchange;
    this.#waiter = waiter;
    this.#trailers = trailers;
  }

  override stream(): InputStream {
    if (this.#streamTaken) failUnit();
    this.#streamTaken = true;
    this.#streamOpen = true;
    // Not a subclass, but InputStream.prototype is in its chain and it has every method the glue
    // calls (see UpstreamInputStream): to the glue it is an InputStream.
    return new UpstreamInputStream(this.#exchange, this.#waiter, this) as unknown as InputStream;
  }

  /** The stream was dropped: if the trailers are wanted, the rest of the body is dropped. */
  streamDropped(): void {
    this.#streamOpen = false;
    if (this.#trailers.wanted) this.#exchange.discardBody();
  }

  /** `incoming-body.finish` happened and the guest asks for the trailers. */
  trailersWanted(): void {
    if (!this.#streamOpen) this.#exchange.discardBody();
  }

  /** Dropped without `finish` (finish consumes the handle without dropping it): the connection is closed. */
  [Symbol.dispose](): void {
    this.#exchange.cancel();
  }
}

/** The trailers of an upstream body, for the `future-trailers` that `incoming-body.finish` makes. */
class UpstreamTrailers implements TrailersSource {
  readonly #exchange: OutgoingExchange;
  readonly #waiter: Waiter;
  body: UpstreamBody | null = null;
  wanted = false;

  constructor(exchange: OutgoingExchange, waiter: Waiter) {
    this.#exchange = exchange;
    this.#waiter = waiter;
  }

  subscribe(): Pollable {
    this.#want();
    const exchange = this.#exchange;
    return new Pollable(
      0n,
      { signal: exchange.signal, condition: () => exchange.trailers() !== undefined },
      this.#waiter,
    );
  }

  outcome(): TrailersOutcome | undefined {
    this.#want();
    return this.#exchange.trailers();
  }

  /** The future-trailers was dropped: the rest of the body is not wanted. */
  dropped(): void {
    this.#exchange.cancel();
  }

  /** Only a `future-trailers` asks: the body was finished. */
  #want(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.body?.trailersWanted();
  }
}

/**
 * wasi:io/streams.input-stream over an upstream response body. Its prototype chain includes
 * `InputStream.prototype` (set below), so the glue takes it for one; every method the glue may
 * call is its own.
 */
export class UpstreamInputStream {
  readonly #exchange: OutgoingExchange;
  readonly #waiter: Waiter;
  readonly #body: UpstreamBody;

  constructor(exchange: OutgoingExchange, waiter: Waiter, body: UpstreamBody) {
    this.#exchange = exchange;
    this.#waiter = waiter;
    this.#body = body;
  }

  /** Bytes here now, not yet read. */
  get remaining(): number {
    return 0;
  }

  read(len: bigint): Uint8Array {
    const result = this.#exchange.readBody(clampLength(len, MAX_READ));
    if (result === BODY_END) throw STREAM_CLOSED;
    if (!(result instanceof Uint8Array)) {
      failStream(new IoError(`the response body failed: ${describeErrorCode(result.error)}`, result.error));
    }
    return result;
  }

  /** Waits until something is here (bytes, the end, or an error); at once when something is. */
  blockingRead(len: bigint): Uint8Array | Promise<Uint8Array> {
    this.#waiter.check();
    if (this.#exchange.bodyReady()) return this.read(len);
    return this.subscribe()
      .block()
      .then(() => this.read(len));
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint | Promise<bigint> {
    this.#waiter.check();
    if (this.#exchange.bodyReady()) return this.skip(len);
    return this.subscribe()
      .block()
      .then(() => this.skip(len));
  }

  subscribe(): Pollable {
    const exchange = this.#exchange;
    return new Pollable(0n, { signal: exchange.signal, condition: () => exchange.bodyReady() }, this.#waiter);
  }

  [Symbol.dispose](): void {
    this.#body.streamDropped();
  }
}
Object.setPrototypeOf(UpstreamInputStream.prototype, InputStream.prototype);

/**
 * The sink an outgoing request's body (`BodyChannel`, http-body.ts) is bound to at `handle`: what
 * the guest writes goes to the connection, `finish` ends the request (with its trailers), and the
 * window is the connection's backpressure (`-1` once the request can take no more: the stream
 * then reports `closed`).
 *
 * A body the guest drops without `finish`, or one that breaks its `content-length`, fails the
 * request with `HTTP-protocol-error`, as in wasmtime: dropping an `outgoing-body` aborts it
 * (`HostOutgoingBody::drop` → `abort`, p2/types_impl.rs), whose body then yields that error
 * (`FinishMessage::Abort`, p2/body.rs), and hyper gives up the request. The request is never
 * ended: its connection is destroyed, so the upstream never takes a cut-off body for a complete one.
 */
export function requestBodySink(exchange: OutgoingExchange): ResponseSink {
  return {
    head() {},
    error() {},
    chunk(bytes) {
      exchange.writeBody(bytes);
    },
    end(trailers) {
      exchange.endBody(trailers);
    },
    abort(message) {
      exchange.failBody(HTTP_PROTOCOL_ERROR, message);
    },
    window: { signal: exchange.signal, available: () => exchange.requestRoom() },
  };
}

/** Where the body of a request that was refused goes: nowhere; its stream reports `closed`. */
export const CLOSED_BODY_SINK: ResponseSink = Object.freeze({
  head() {},
  error() {},
  chunk() {},
  end() {},
  abort() {},
  window: Object.freeze({ signal: new Int32Array(new SharedArrayBuffer(4)), available: () => -1 }),
});
