/**
 * One outgoing request over Node's `http`/`https` client, on the executor thread of the instance
 * that made it, as wasmtime's `default_send_request` (crates/wasi-http/src/default_send_request.rs)
 * makes one:
 * - a connection of its own (no pooling, no proxy), HTTP/1.1, `https` verified against Node's
 *   default CA store; no redirect is followed;
 * - the `host` header is the authority (`set_host_header`); the guest's headers follow, without
 *   any forbidden one (`../http-rules.ts`; a guest's fields cannot hold one anyway);
 * - the request body streams from the guest as it writes (chunked unless the guest set a
 *   `content-length`); `requestRoom` is the backpressure: what the connection has not taken yet
 *   counts against a window. Its trailers go out as hyper's client sends them: only after a
 *   chunked body, only the names the request declared in a `Trailer` header, never those RFC 9110
 *   forbids in trailers (`trailersToSend`, ../http-rules.ts). A body the guest gives up on
 *   (`failBody`: dropped without finish, or short of its `content-length`) is never ended: the
 *   connection is destroyed, so the upstream sees a request cut off, not a complete one;
 * - the response head and body stream to the guest as they arrive; the body is read from the
 *   socket only while less than a buffer's worth is waiting for the guest, so a guest that does
 *   not read holds the upstream back (TCP backpressure); a head (or trailer section) may have any
 *   number of fields within `maxResponseHeaderBytes` as sent (Node would drop those past 1,000
 *   without a word); a larger one is `HTTP-protocol-error` (hyper: about 400 KiB and 100 fields);
 * - headers and trailers of the response are handed over as wasmtime's `FieldMap::new_immutable`
 *   makes them: lowercased, forbidden (hop-by-hop) ones removed (`withoutForbidden`);
 * - timeouts and error codes as error-codes.ts describes.
 *
 * Everything the guest waits for bumps `signal` (a shared Int32 cell, for WASIp2 pollables, see
 * ../p2/poll.ts) and settles `changed()` (for WASIp3's promises). When the exchange is over
 * (response complete, failed, or let go by the guest) it reports an `OutgoingRecord` once. It is
 * *released* (`onReleased`, once) when it holds no body for the guest any more: it was let go
 * (`cancel`), or it is over and the guest took the head (`takeHead`) and every body byte that
 * arrived was read (or dropped). The client counts it against the instance's bound until then,
 * so the bodies a guest keeps unread stay bounded. The trailers are not waited for: they are the
 * guest's to take like the head it holds (a few KiB at most, 64 KiB as sent), and guests built
 * with componentize-js read a body to its end but neither take its trailers nor drop it until
 * their garbage collector runs, if ever: waiting for that would refuse their 33rd request.
 */

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  declaredTrailers,
  isForbidden,
  trailersToSend,
  withoutForbidden,
  type ReadonlyFieldList,
} from '../http-rules.ts';
import {
  CONNECTION_READ_TIMEOUT,
  CONNECTION_TIMEOUT,
  describeCause,
  describePayload,
  errorCodeFor,
  HTTP_PROTOCOL_ERROR,
  REQUEST_CANCELLED,
  type Stage,
} from './error-codes.ts';
import type { Target } from './target.ts';
import type { ErrorCode, FieldList, OutgoingLimits, OutgoingRecord, OutgoingTimeouts } from './types.ts';

export interface ExchangeInit {
  target: Target;
  /** The guest's request headers (lowercased names; forbidden ones are dropped here). */
  headers: ReadonlyFieldList;
  /** Whether the guest streams a body (`writeBody`… `endBody`); without one the request is sent
   * complete at once. */
  hasBody: boolean;
  timeouts: OutgoingTimeouts;
  limits: ExchangeLimits;
  /** Extra TLS options, for tests that trust their own CA. */
  tls?: { ca?: string | Buffer | Array<string | Buffer> } | undefined;
}

export type ExchangeLimits = Pick<
  OutgoingLimits,
  'maxResponseHeaderBytes' | 'requestBodyWindowBytes' | 'responseBodyBufferBytes'
>;

/** What `readBody` returns once the body has ended and everything was read. */
export const BODY_END: unique symbol = Symbol('body end');

export type HeadState =
  | { state: 'pending' }
  | { state: 'ready'; status: number; headers: FieldList }
  | { state: 'failed'; error: ErrorCode };

/** `ok` with the trailers (filtered; null when there were none) or `err` with why the body failed. */
export type TrailersResult = { tag: 'ok'; val: FieldList | null } | { tag: 'err'; val: ErrorCode };

const EMPTY = new Uint8Array(0);
/** setTimeout's longest delay; a longer timeout is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class OutgoingExchange {
  /** Bumped (and notified) whenever something a guest may wait for changed. */
  readonly signal = new Int32Array(new SharedArrayBuffer(4));
  readonly target: Target;

  readonly #limits: ExchangeLimits;
  readonly #timeouts: OutgoingTimeouts;
  readonly #onSettled: (record: OutgoingRecord) => void;
  readonly #onReleased: () => void;
  readonly #started = performance.now();
  /** Null when Node refused to build the request (the exchange then failed at once), and once
   * the exchange is released with its request over (see `#release`). */
  #request: http.ClientRequest | null;
  #response: http.IncomingMessage | null = null;
  #stage: Stage = 'connect';

  #status: number | null = null;
  #headers: FieldList | null = null;
  /** Why the exchange failed before a response head arrived. */
  #headError: ErrorCode | null = null;
  /** Why the response body failed (after the head). */
  #bodyError: ErrorCode | null = null;
  #bodyErrorTaken = false;

  #chunks: Uint8Array[] = [];
  #chunkOffset = 0;
  #buffered = 0;
  #paused = false;
  #ended = false;
  /** Unread and later body bytes are dropped: the guest asked for the trailers without reading on. */
  #discarding = false;
  #trailers: FieldList | null = null;

  #requestChunked = false;
  /** The names the request's `Trailer` header declares (null: none): the trailers that may go. */
  #requestTrailerNames: Set<string> | null = null;
  #requestDone = false;
  #requestBytes = 0;
  #responseBytes = 0;

  #settled = false;
  #cancelled = false;
  #headTaken = false;
  #released = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<() => void> = [];

  /** `onSettled`: the record, once the exchange is over; `onReleased`: once it holds nothing more
   * for the guest (see above; possibly before the constructor returns). */
  constructor(init: ExchangeInit, onSettled: (record: OutgoingRecord) => void, onReleased: () => void = () => {}) {
    // Only what is needed later is kept: a guest may hold a released exchange for long (through
    // a response it never drops), and the request's headers are its to forget.
    this.#limits = init.limits;
    this.#timeouts = init.timeouts;
    this.target = init.target;
    this.#onSettled = onSettled;
    this.#onReleased = onReleased;
    const { target } = init;

    // The host header first (wasmtime builds it before the guest's), then the guest's headers.
    const raw: string[] = ['host', target.authority];
    let hasLength = false;
    const guestHeaders: Array<[string, Uint8Array]> = [];
    for (const [name, value] of init.headers) {
      const lower = name.toLowerCase();
      if (isForbidden(lower)) continue;
      if (lower === 'content-length') hasLength = true;
      guestHeaders.push([lower, value]);
    }
    this.#requestChunked = init.hasBody && !hasLength;
    for (const [name, value] of guestHeaders) {
      // Node refuses to send a `Trailer` header with a body that is not chunked
      // (ERR_HTTP_TRAILER_INVALID); hyper sends it, then no trailers. It is left out there.
      if (name === 'trailer' && !this.#requestChunked) continue;
      raw.push(name, latin1(value));
    }
    if (this.#requestChunked) {
      // Node frames a body without a length as chunked only for some methods; hyper does it for
      // all, which a GET with a body needs.
      raw.push('transfer-encoding', 'chunked');
      this.#requestTrailerNames = declaredTrailers(guestHeaders);
    }

    const options: https.RequestOptions = {
      host: target.hostname,
      port: target.port,
      method: target.method,
      path: target.path,
      headers: raw,
      agent: false,
      maxHeaderSize: init.limits.maxResponseHeaderBytes,
      ...(target.scheme === 'https' && init.tls ? init.tls : {}),
    };
    let request: http.ClientRequest;
    try {
      request = (target.scheme === 'https' ? https : http).request(options);
    } catch (error) {
      // Node refused to build it (a value the guest's fields allowed but Node does not): as
      // wasmtime's request builder failing, `internal-error` with a message of ours.
      this.#request = null;
      this.#failHead({ tag: 'internal-error', val: 'the outgoing request could not be built' }, describeCause(error));
      return;
    }
    this.#request = request;
    // Node's client keeps the first 1,000 fields of a head or trailer section and drops the rest
    // without a word (`maxHeadersCount`, read when the socket is assigned); hyper fails such a
    // response instead. No count here: the bytes are bounded, by Node's parser (`maxHeaderSize`,
    // names and values only) and then as sent (`sectionBytes`), past which the response fails.
    request.maxHeadersCount = 0;
    request.on('socket', (socket) => this.#onSocket(socket));
    request.on('response', (response) => this.#onResponse(response));
    request.on('error', (error) => this.#onRequestError(error));
    request.on('close', () => this.#onRequestClose());
    // The connection took what was waiting: the guest may write more.
    request.on('drain', () => this.#changed());
    // A 101 or a CONNECT answer hands over the connection: not something wasi:http can carry.
    const protocolSwitch = (_response: unknown, socket: Socket): void => {
      socket.destroy();
      this.#failHead(HTTP_PROTOCOL_ERROR, 'the upstream switched protocols');
    };
    request.on('upgrade', protocolSwitch);
    request.on('connect', protocolSwitch);
    this.#arm(init.timeouts.connectMs, () =>
      this.#failHead(CONNECTION_TIMEOUT, `no connection within ${init.timeouts.connectMs} ms`),
    );

    if (init.hasBody) request.flushHeaders();
    else request.end();
  }

  // --- the response head ---------------------------------------------------------------------

  head(): HeadState {
    if (this.#headError !== null) return { state: 'failed', error: this.#headError };
    if (this.#status === null || this.#headers === null) {
      return this.#cancelled ? { state: 'failed', error: REQUEST_CANCELLED } : { state: 'pending' };
    }
    return { state: 'ready', status: this.#status, headers: this.#headers };
  }

  /** `head()`, for the call that hands it to the guest: once it is not pending, the guest has it. */
  takeHead(): HeadState {
    const head = this.head();
    if (head.state !== 'pending' && !this.#headTaken) {
      this.#headTaken = true;
      this.#releaseIfDone();
    }
    return head;
  }

  // --- the request body (the guest writes) ---------------------------------------------------

  /** Bytes the guest may write now; 0 while the connection is behind; -1 once the request can
   * take no more (it failed, was let go, or the connection closed). */
  requestRoom(): number {
    const request = this.#request;
    if (
      this.#requestDone ||
      this.#cancelled ||
      this.#headError !== null ||
      request === null ||
      request.destroyed ||
      request.writableEnded
    )
      return -1;
    return Math.max(0, this.#limits.requestBodyWindowBytes - request.writableLength);
  }

  writeBody(bytes: Uint8Array): void {
    const request = this.#request;
    if (request === null || this.requestRoom() < 0 || bytes.length === 0) return;
    this.#requestBytes += bytes.length;
    request.write(bytes, () => this.#changed());
  }

  /** The guest finished its body, with `trailers` if it gave some: sent as hyper's client sends
   * them (only when chunked, only the names the request's `Trailer` header declares, never one
   * RFC 9110 forbids in trailers). */
  endBody(trailers?: ReadonlyFieldList | null): void {
    const request = this.#request;
    if (request === null || this.requestRoom() < 0) return;
    this.#requestDone = true;
    const declared = this.#requestTrailerNames;
    if (trailers && trailers.length > 0 && declared !== null) {
      const allowed = trailers
        .filter(([name]) => !isForbidden(name.toLowerCase()))
        .map(([name, value]): [string, Uint8Array] => [name.toLowerCase(), value]);
      const list = trailersToSend(declared, allowed);
      if (list.length > 0) request.addTrailers(list);
    }
    request.end(() => this.#changed());
  }

  /**
   * The guest's body failed (`code`: why, as the guest was told), or it gave the body up (dropped
   * it without finish): the request is never ended, its connection is destroyed, so the upstream
   * sees it cut off (wasmtime's body yields an error frame and hyper closes the connection). The
   * request fails with `code` if no response head has arrived yet, as wasmtime's request fails with
   * its body's error; after one, the response body fails as its connection is gone.
   */
  failBody(code: ErrorCode, detail: string): void {
    if (this.#requestDone) return;
    this.#requestDone = true;
    if (!this.#settled && this.#status === null) this.#failHead(code, detail);
    else this.#request?.destroy();
    this.#changed();
  }

  // --- the response body (the guest reads) ---------------------------------------------------

  /** Whether `readBody` has something to say now (bytes, the end, or an error). */
  bodyReady(): boolean {
    return this.#buffered > 0 || this.#ended || this.#bodyError !== null || this.#cancelled;
  }

  /**
   * Up to `max` bytes of the response body; an empty array when none are here yet; `BODY_END` once
   * all were read; `{ error }` once, after the bytes that came before it, when the body failed
   * (then `BODY_END`).
   */
  readBody(max: number): Uint8Array | typeof BODY_END | { error: ErrorCode } {
    if (this.#buffered > 0 && max > 0) {
      // Bytes are buffered, so there is a first chunk.
      const first = this.#chunks[0] as Uint8Array;
      const available = first.length - this.#chunkOffset;
      const n = Math.min(max, available);
      const bytes = first.subarray(this.#chunkOffset, this.#chunkOffset + n);
      this.#chunkOffset += n;
      if (this.#chunkOffset === first.length) {
        this.#chunks.shift();
        this.#chunkOffset = 0;
      }
      this.#buffered -= n;
      this.#resumeIfRoom();
      if (this.#buffered === 0) this.#releaseIfDone();
      return bytes;
    }
    if (this.#buffered > 0) return EMPTY;
    if (this.#bodyError !== null && !this.#bodyErrorTaken) {
      this.#bodyErrorTaken = true;
      return { error: this.#bodyError };
    }
    if (this.#ended || this.#bodyError !== null || this.#cancelled) return BODY_END;
    return EMPTY;
  }

  /** The guest asked for the trailers without reading the body on (wasmtime's future-trailers reads
   * what is left of the body to reach them): unread and later bytes are dropped from now on. */
  discardBody(): void {
    if (this.#discarding) return;
    this.#discarding = true;
    this.#chunks = [];
    this.#chunkOffset = 0;
    this.#buffered = 0;
    this.#resumeIfRoom();
    this.#releaseIfDone();
  }

  /** undefined until the body has ended or failed. */
  trailers(): TrailersResult | undefined {
    if (this.#bodyError !== null) return { tag: 'err', val: this.#bodyError };
    if (this.#headError !== null) return { tag: 'err', val: this.#headError };
    if (this.#ended) return { tag: 'ok', val: this.#trailers };
    if (this.#cancelled) return { tag: 'ok', val: null };
    return undefined;
  }

  // --- the end -------------------------------------------------------------------------------

  /** The guest let go of the exchange (dropped the future, the response or its body before the
   * end, or its instance went away): the connection is closed. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#clearTimer();
    this.#chunks = [];
    this.#buffered = 0;
    this.#response?.destroy();
    this.#request?.destroy();
    this.#settle('dropped', null, null);
    this.#release();
    this.#changed();
  }

  /** Resolves at the next change of anything `head`, `readBody`, `requestRoom` or `trailers` say. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get settled(): boolean {
    return this.#settled;
  }

  // --- Node's side ---------------------------------------------------------------------------

  #onSocket(socket: Socket): void {
    const https = this.target.scheme === 'https';
    socket.once('connect', () => {
      if (this.#settled) return;
      if (!https) this.#connectionReady();
      else this.#stage = 'tls';
    });
    if (https) socket.once('secureConnect', () => this.#connectionReady());
  }

  /** Connected (and, for https, the handshake done): the first-byte timeout runs until the head. */
  #connectionReady(): void {
    if (this.#settled || this.#status !== null) return;
    this.#stage = 'http';
    const ms = this.#timeouts.firstByteMs;
    this.#arm(ms, () => this.#failHead(CONNECTION_READ_TIMEOUT, `no response within ${ms} ms`));
  }

  #onResponse(response: http.IncomingMessage): void {
    if (this.#settled) {
      response.destroy();
      return;
    }
    this.#clearTimer();
    const limit = this.#limits.maxResponseHeaderBytes;
    const headBytes =
      `HTTP/1.1 ${response.statusCode ?? 0} ${response.statusMessage ?? ''}\r\n`.length +
      sectionBytes(response.rawHeaders);
    if (headBytes > limit) {
      response.destroy();
      this.#failHead(HTTP_PROTOCOL_ERROR, `the response head is larger than ${limit} bytes (${headBytes})`);
      return;
    }
    this.#response = response;
    this.#status = response.statusCode ?? 0;
    this.#headers = withoutForbidden(fieldList(response.rawHeaders));
    response.on('data', (chunk: Buffer) => this.#onData(chunk));
    response.on('end', () => this.#onEnd(response));
    response.on('error', (error) => this.#failBody(HTTP_PROTOCOL_ERROR, describeCause(error)));
    response.on('close', () => {
      if (!this.#ended)
        this.#failBody(HTTP_PROTOCOL_ERROR, 'the connection closed before the response body was complete');
    });
    this.#armBetweenBytes();
    this.#changed();
  }

  #onData(chunk: Buffer): void {
    if (this.#settled) return;
    this.#responseBytes += chunk.length;
    if (!this.#discarding) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= this.#limits.responseBodyBufferBytes) {
        this.#response?.pause();
        this.#paused = true;
      }
    }
    this.#armBetweenBytes();
    this.#changed();
  }

  #onEnd(response: http.IncomingMessage): void {
    if (this.#settled) return;
    const limit = this.#limits.maxResponseHeaderBytes;
    const trailerBytes = response.rawTrailers.length > 0 ? sectionBytes(response.rawTrailers) : 0;
    if (trailerBytes > limit) {
      this.#failBody(HTTP_PROTOCOL_ERROR, `the response trailers are larger than ${limit} bytes (${trailerBytes})`);
      return;
    }
    this.#clearTimer();
    this.#ended = true;
    const trailers = withoutForbidden(fieldList(response.rawTrailers));
    this.#trailers = trailers.length > 0 ? trailers : null;
    this.#settle('complete', null, null);
    this.#releaseIfDone();
    this.#changed();
  }

  #onRequestError(error: Error): void {
    if (this.#settled) return;
    if (this.#status === null) this.#failHead(errorCodeFor(this.#stage, error), describeCause(error));
    else if (!this.#ended) this.#failBody(HTTP_PROTOCOL_ERROR, describeCause(error));
  }

  #onRequestClose(): void {
    if (!this.#settled && this.#status === null)
      this.#failHead(errorCodeFor(this.#stage, null), 'the connection closed before a response arrived');
    // A window waiting on the request may now say -1.
    this.#changed();
  }

  #failHead(code: ErrorCode, detail: string): void {
    if (this.#settled) return;
    this.#clearTimer();
    this.#headError = code;
    this.#request?.destroy();
    this.#settle('failed', code, detail);
    // No head, no body: nothing is held for the guest but the error-code.
    this.#release();
    this.#changed();
  }

  #failBody(code: ErrorCode, detail: string): void {
    if (this.#settled || this.#ended) return;
    this.#clearTimer();
    this.#bodyError = code;
    this.#response?.destroy();
    this.#request?.destroy();
    this.#settle('failed', code, detail);
    this.#releaseIfDone();
    this.#changed();
  }

  #resumeIfRoom(): void {
    if (!this.#paused || this.#buffered >= this.#limits.responseBodyBufferBytes / 2) return;
    this.#paused = false;
    this.#response?.resume();
    this.#armBetweenBytes();
  }

  /** The between-bytes timeout runs while the body is being read from the socket and has not ended. */
  #armBetweenBytes(): void {
    if (this.#settled || this.#paused || this.#ended) {
      this.#clearTimer();
      return;
    }
    const ms = this.#timeouts.betweenBytesMs;
    this.#arm(ms, () => this.#failBody(CONNECTION_READ_TIMEOUT, `no response body bytes for ${ms} ms`));
  }

  #arm(ms: number, onTimeout: () => void): void {
    this.#clearTimer();
    if (!(ms < MAX_TIMER_MS)) return;
    this.#timer = setTimeout(onTimeout, Math.max(0, ms));
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #settle(outcome: OutgoingRecord['outcome'], code: ErrorCode | null, detail: string | null): void {
    if (this.#settled) return;
    this.#settled = true;
    const target = this.target;
    this.#onSettled({
      method: target.method,
      scheme: target.scheme,
      authority: target.authority,
      path: target.path,
      status: this.#status,
      durationMs: performance.now() - this.#started,
      outcome,
      error: code === null ? null : { tag: code.tag, detail: detail ?? describePayload(code) },
      requestBytes: this.#requestBytes,
      responseBytes: this.#responseBytes,
    });
  }

  /** Released once over (the body ended or failed) with no body left for the guest: the head
   * taken, every buffered body byte read (or dropped). */
  #releaseIfDone(): void {
    if (this.#released || !this.#settled || !this.#headTaken || this.#buffered > 0) return;
    this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    // Node's objects (request, response, socket: some KiB) are let go, as the guest may keep the
    // handles over this exchange for long; a request body still being written keeps its request.
    this.#response = null;
    const request = this.#request;
    if (request !== null && (this.#requestDone || request.destroyed || request.writableEnded)) this.#request = null;
    this.#onReleased();
  }

  #changed(): void {
    Atomics.add(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The bytes a header or trailer section took on the wire (`name: value` and CRLF per field, and
 * the blank line), as hyper bounds its read buffer. Node's own `maxHeaderSize` counts only names
 * and values, so a head of many tiny fields passes it at nearly twice the size; this is the bound
 * `maxResponseHeaderBytes` means.
 */
function sectionBytes(raw: string[]): number {
  let bytes = 2;
  // i + 1 < raw.length: both entries exist (noUncheckedIndexedAccess cannot see it).
  for (let i = 0; i + 1 < raw.length; i += 2) bytes += (raw[i] as string).length + (raw[i + 1] as string).length + 4;
  return bytes;
}

/** Node's raw header list (`[name, value, name, value, …]`, values decoded as latin1) as field
 * pairs with lowercased names and the original bytes. */
function fieldList(raw: string[]): FieldList {
  const list: FieldList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // i + 1 < raw.length: both entries exist (noUncheckedIndexedAccess cannot see it).
    list.push([(raw[i] as string).toLowerCase(), Buffer.from(raw[i + 1] as string, 'latin1')]);
  }
  return list;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
