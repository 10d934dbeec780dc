/**
 * One outgoing request over Node's `http`/`https` client, on the executor thread of the instance
 * that made it, as wasmtime's `default_send_request` (crates/wasi-http/src/default_send_request.rs)
 * makes one:
 * - a connection of its own (no pooling, no proxy), HTTP/1.1, `https` verified against Node's
 *   default CA store; no redirect is followed;
 * - the `host` header is the authority (`set_host_header`); the guest's headers follow, without
 *   any forbidden one (`../http-rules.ts`; a guest's fields cannot hold one anyway);
 * - the request body streams from the guest as it writes (chunked unless the guest set a
 *   `content-length`), with trailers if the guest finishes with some; `requestRoom` is the
 *   backpressure: what the connection has not taken yet counts against a window;
 * - the response head and body stream to the guest as they arrive; the body is read from the
 *   socket only while less than a buffer's worth is waiting for the guest, so a guest that does
 *   not read holds the upstream back (TCP backpressure);
 * - headers and trailers of the response are handed over as wasmtime's `FieldMap::new_immutable`
 *   makes them: lowercased, forbidden (hop-by-hop) ones removed (`withoutForbidden`);
 * - timeouts and error codes as error-codes.ts describes.
 *
 * Everything the guest waits for bumps `signal` (a shared Int32 cell, for WASIp2 pollables, see
 * ../p2/poll.ts) and settles `changed()` (for WASIp3's promises). When the exchange is over
 * (response complete, failed, or let go by the guest) it reports an `OutgoingRecord` once.
 */

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isForbidden, withoutForbidden, type ReadonlyFieldList } from '../http-rules.ts';
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

export type ExchangeLimits = Pick<OutgoingLimits, 'maxResponseHeaderBytes' | 'requestBodyWindowBytes' | 'responseBodyBufferBytes'>;

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

  readonly #init: ExchangeInit;
  readonly #onSettled: (record: OutgoingRecord) => void;
  readonly #started = performance.now();
  /** Null only when Node refused to build the request (the exchange then failed at once). */
  readonly #request: http.ClientRequest | null;
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
  #requestDone = false;
  #requestBytes = 0;
  #responseBytes = 0;

  #settled = false;
  #cancelled = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<() => void> = [];

  constructor(init: ExchangeInit, onSettled: (record: OutgoingRecord) => void) {
    this.#init = init;
    this.target = init.target;
    this.#onSettled = onSettled;
    const { target } = init;

    // The host header first (wasmtime builds it before the guest's), then the guest's headers.
    const raw: string[] = ['host', target.authority];
    let hasLength = false;
    for (const [name, value] of init.headers) {
      const lower = name.toLowerCase();
      if (isForbidden(lower)) continue;
      if (lower === 'content-length') hasLength = true;
      raw.push(lower, latin1(value));
    }
    if (init.hasBody && !hasLength) {
      // Node frames a body without a length as chunked only for some methods; hyper does it for
      // all, which a GET with a body needs.
      raw.push('transfer-encoding', 'chunked');
      this.#requestChunked = true;
    }

    const options: https.RequestOptions = {
      host: target.hostname,
      port: target.port,
      method: target.method,
      path: target.path,
      headers: raw as unknown as http.OutgoingHttpHeaders,
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
    this.#arm(init.timeouts.connectMs, () => this.#failHead(CONNECTION_TIMEOUT, `no connection within ${init.timeouts.connectMs} ms`));

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

  // --- the request body (the guest writes) ---------------------------------------------------

  /** Bytes the guest may write now; 0 while the connection is behind; -1 once the request can
   * take no more (it failed, was let go, or the connection closed). */
  requestRoom(): number {
    const request = this.#request;
    if (this.#requestDone || this.#cancelled || this.#headError !== null || request === null || request.destroyed || request.writableEnded) return -1;
    return Math.max(0, this.#init.limits.requestBodyWindowBytes - request.writableLength);
  }

  writeBody(bytes: Uint8Array): void {
    const request = this.#request;
    if (request === null || this.requestRoom() < 0 || bytes.length === 0) return;
    this.#requestBytes += bytes.length;
    request.write(bytes, () => this.#changed());
  }

  /** The guest finished its body, with `trailers` if it gave some (sent only when chunked, as
   * hyper does). */
  endBody(trailers?: ReadonlyFieldList | null): void {
    const request = this.#request;
    if (request === null || this.requestRoom() < 0) return;
    this.#requestDone = true;
    if (trailers && trailers.length > 0 && this.#requestChunked) {
      const list: Array<[string, string]> = [];
      for (const [name, value] of trailers) if (!isForbidden(name.toLowerCase())) list.push([name, latin1(value)]);
      if (list.length > 0) request.addTrailers(list);
    }
    request.end(() => this.#changed());
  }

  /** The guest's body failed (`code`: why, as the guest was told): the request fails with it if
   * no response head has arrived yet, as wasmtime's request fails with its body's error. */
  failBody(code: ErrorCode, detail: string): void {
    if (this.#requestDone || this.#settled) return;
    this.#requestDone = true;
    if (this.#status === null) this.#failHead(code, detail);
    else this.#request?.destroy();
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
    const ms = this.#init.timeouts.firstByteMs;
    this.#arm(ms, () => this.#failHead(CONNECTION_READ_TIMEOUT, `no response within ${ms} ms`));
  }

  #onResponse(response: http.IncomingMessage): void {
    if (this.#settled) {
      response.destroy();
      return;
    }
    this.#clearTimer();
    this.#response = response;
    this.#status = response.statusCode ?? 0;
    this.#headers = withoutForbidden(fieldList(response.rawHeaders));
    response.on('data', (chunk: Buffer) => this.#onData(chunk));
    response.on('end', () => this.#onEnd(response));
    response.on('error', (error) => this.#failBody(HTTP_PROTOCOL_ERROR, describeCause(error)));
    response.on('close', () => {
      if (!this.#ended) this.#failBody(HTTP_PROTOCOL_ERROR, 'the connection closed before the response body was complete');
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
      if (this.#buffered >= this.#init.limits.responseBodyBufferBytes) {
        this.#response?.pause();
        this.#paused = true;
      }
    }
    this.#armBetweenBytes();
    this.#changed();
  }

  #onEnd(response: http.IncomingMessage): void {
    if (this.#settled) return;
    this.#clearTimer();
    this.#ended = true;
    const trailers = withoutForbidden(fieldList(response.rawTrailers));
    this.#trailers = trailers.length > 0 ? trailers : null;
    this.#settle('complete', null, null);
    this.#changed();
  }

  #onRequestError(error: Error): void {
    if (this.#settled) return;
    if (this.#status === null) this.#failHead(errorCodeFor(this.#stage, error), describeCause(error));
    else if (!this.#ended) this.#failBody(HTTP_PROTOCOL_ERROR, describeCause(error));
  }

  #onRequestClose(): void {
    if (!this.#settled && this.#status === null) this.#failHead(errorCodeFor(this.#stage, null), 'the connection closed before a response arrived');
    // A window waiting on the request may now say -1.
    this.#changed();
  }

  #failHead(code: ErrorCode, detail: string): void {
    if (this.#settled) return;
    this.#clearTimer();
    this.#headError = code;
    this.#request?.destroy();
    this.#settle('failed', code, detail);
    this.#changed();
  }

  #failBody(code: ErrorCode, detail: string): void {
    if (this.#settled || this.#ended) return;
    this.#clearTimer();
    this.#bodyError = code;
    this.#response?.destroy();
    this.#request?.destroy();
    this.#settle('failed', code, detail);
    this.#changed();
  }

  #resumeIfRoom(): void {
    if (!this.#paused || this.#buffered >= this.#init.limits.responseBodyBufferBytes / 2) return;
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
    const ms = this.#init.timeouts.betweenBytesMs;
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

  #changed(): void {
    Atomics.add(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Node's raw header list (`[name, value, name, value, …]`, values decoded as latin1) as field
 * pairs with lowercased names and the original bytes. */
function fieldList(raw: string[]): FieldList {
  const list: FieldList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    list.push([(raw[i] as string).toLowerCase(), Buffer.from(raw[i + 1] as string, 'latin1')]);
  }
  return list;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
