/**
 * The outgoing-body machinery shared by responses and (client) requests.
 *
 * A `BodyChannel` is the state behind one outgoing body: it is the target of the body's output
 * stream, and it is bound to a `ResponseSink` once the response is `set`. Chunks written before
 * that are held and flushed on binding; a finish or abort that happens before binding is replayed
 * after the flush, so the sink always sees head → chunks → end | abort (chunks written before an
 * abort are still delivered, as a streaming host would have sent them).
 *
 * As in wasmtime, a `content-length` header is enforced: writing past it fails the stream with
 * `HTTP-{response,request}-body-size`, and finishing short of it fails the finish; either way the
 * body is aborted.
 *
 * Trailers: `outgoing-body.finish(body, some(trailers))` takes the trailers (the guest passes
 * ownership) and hands them to the sink with the end (`sink.end(trailers)`), as wasmtime sends
 * them as the body's last frame (`HostOutgoingBody::finish`, p2/body.rs). An empty `fields` is no
 * trailers at all. They hold no forbidden header: `fields` refuses them.
 *
 * Backpressure: once bound, the sink's `WriteWindow` says how much the client can take. `check-write`
 * reports it, `subscribe` waits for it, and a blocking write made with no room waits until there is
 * some. A non-blocking write with no room at all (a guest that ignores `check-write`) traps, as in
 * wasmtime: it cannot wait, and taking it would let memory grow without bound. Once the client has
 * gone, writes fail with `closed`. Before binding nothing drains the body, so at most
 * `UNBOUND_BODY_LIMIT` bytes are held.
 */

import type { ResponseSink } from '../../../base/http-exchange.ts';
import type { FieldList, Fields } from './fields.ts';
import type { HttpErrorCode } from './http-error.ts';
import { IoError } from './io-error.ts';
import { NEVER, Pollable, READY } from './poll.ts';
import { fail, failUnit, HostTrap } from './result.ts';
import { failStream, OutputStream, STREAM_CLOSED, type WriteTarget } from './streams.ts';
import type { WriteWindow } from '../../../base/http-exchange.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

/** Body bytes held before `response-outparam.set` binds the body to the client (1 MiB). Past
 * this, `check-write` reports 0 and writes fail: nothing could drain them. */
export const UNBOUND_BODY_LIMIT = 1024 * 1024;

const OPEN = 0;
/** A write overflowed content-length: the stream is closed, the body will abort. */
const FAILED = 1;
const FINISHED = 2;
const ABORTED = 3;
type BodyState = typeof OPEN | typeof FAILED | typeof FINISHED | typeof ABORTED;

export type BodyKind = 'request' | 'response';

/** The body length the headers promise, -1 if none. Like wasmtime, only the first
 * `content-length` counts; an unparsable one makes `body()` fail with `err(())`. */
export function declaredContentLength(list: FieldList): number {
  for (const [name, value] of list) {
    if (name === 'content-length') return parseLength(value);
  }
  return -1;
}

/** Decimal digits with optional surrounding blanks, parsed without decoding to a string. */
function parseLength(value: Uint8Array): number {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === 0x20 || value[start] === 0x09)) start++;
  while (end > start && (value[end - 1] === 0x20 || value[end - 1] === 0x09)) end--;
  if (start === end) failUnit();
  let n = 0;
  for (let i = start; i < end; i++) {
    // start <= i < end <= value.length: a byte, though noUncheckedIndexedAccess cannot see it.
    const d = (value[i] as number) - 0x30;
    if (d < 0 || d > 9) failUnit();
    n = n * 10 + d;
  }
  if (!Number.isSafeInteger(n)) failUnit();
  return n;
}

export class BodyChannel implements WriteTarget {
  /** The host whose instance writes this body: its waits go through it. */
  readonly waiter: Waiter;
  private readonly kind: BodyKind;
  private readonly expected: number;
  private written = 0;
  private state: BodyState = OPEN;
  private abortMessage = '';
  /** What `finish` was given (null: none), replayed to a sink bound after it. */
  private trailers: FieldList | null = null;
  private sink: ResponseSink | null = null;
  /** The bound sink's window; null before binding or for a sink without one. */
  private window: WriteWindow | null = null;
  /** Chunks written before the sink is bound, and their size. */
  private pending: Uint8Array[] | null = null;
  private pendingBytes = 0;

  constructor(kind: BodyKind, expectedLength: number, waiter: Waiter = UNSCOPED) {
    this.kind = kind;
    this.expected = expectedLength;
    this.waiter = waiter;
  }

  write(bytes: Uint8Array): void {
    this.check();
    if (this.sink === null && this.pendingBytes + bytes.length > UNBOUND_BODY_LIMIT) {
      failStream(new IoError(`more than ${UNBOUND_BODY_LIMIT} body bytes written before the response was set`));
    }
    if (this.window !== null && this.window.available() === 0) {
      throw new HostTrap(
        'output-stream.write: write exceeded budget (check-write reported no room; wait with subscribe, or use a blocking write)',
      );
    }
    const total = this.written + bytes.length;
    this.written = total;
    if (this.expected >= 0 && total > this.expected) {
      this.state = FAILED;
      const code = this.sizeError(total);
      failStream(new IoError(`body exceeds its content-length of ${this.expected} bytes (${total} written)`, code));
    }
    const sink = this.sink;
    if (sink !== null) sink.chunk(bytes);
    else {
      (this.pending ??= []).push(bytes);
      this.pendingBytes += bytes.length;
    }
  }

  check(): void {
    if (this.state !== OPEN) throw STREAM_CLOSED;
    // The client went away: as in wasmtime, the body's stream is closed.
    if (this.window !== null && this.window.available() < 0) throw STREAM_CLOSED;
  }

  capacity(): number {
    if (this.sink === null) return Math.max(0, UNBOUND_BODY_LIMIT - this.pendingBytes);
    return this.window === null ? Number.MAX_SAFE_INTEGER : Math.max(0, this.window.available());
  }

  subscribe(): Pollable {
    const window = this.window;
    if (window !== null) {
      return new Pollable(
        0n,
        { signal: window.signal, condition: () => this.state !== OPEN || window.available() !== 0 },
        this.waiter,
      );
    }
    // Full before binding: nothing drains the body, so a guest waiting for room hangs, as in
    // wasmtime, until the pool's timeouts end it (an abort of the host).
    return this.capacity() > 0 ? READY : new Pollable(NEVER, null, this.waiter);
  }

  /** A blocking write waits only for the client (a full unbound body fails the write instead). */
  whenWritable(): Pollable | null {
    return this.window !== null && this.window.available() === 0 ? this.subscribe() : null;
  }

  /** `outgoing-body.finish`: completes the body (with the guest's trailers, if any) or fails (and
   * aborts it). */
  finish(trailers: Fields | undefined): void {
    if (this.state === FINISHED || this.state === ABORTED) {
      throw new HostTrap('outgoing-body.finish: the body is already complete');
    }
    // The trailers resource is consumed even when finishing fails, as in wasmtime.
    const list = trailers?.take();
    if (this.expected >= 0 && this.written !== this.expected) {
      const message = `body has ${this.written} bytes but its content-length is ${this.expected}`;
      this.abort(message);
      fail(this.sizeError(this.written));
    }
    this.state = FINISHED;
    if (list !== undefined && list.length > 0) this.trailers = list;
    this.#end();
  }

  /** The body resource was dropped: unless finished, the body is truncated. */
  dropped(): void {
    if (this.state === OPEN || this.state === FAILED) this.abort('outgoing-body dropped without finish');
  }

  /** Connects the body to the response sink, right after `sink.head`. */
  bind(sink: ResponseSink): void {
    this.sink = sink;
    this.window = sink.window ?? null;
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      this.pendingBytes = 0;
      for (const chunk of pending) sink.chunk(chunk);
    }
    if (this.state === FINISHED) this.#end();
    else if (this.state === ABORTED) sink.abort(this.abortMessage);
  }

  #end(): void {
    const sink = this.sink;
    if (sink === null) return;
    if (this.trailers === null) sink.end();
    else sink.end(this.trailers);
  }

  private abort(message: string): void {
    this.state = ABORTED;
    this.abortMessage = message;
    this.sink?.abort(message);
  }

  private sizeError(size: number): HttpErrorCode {
    const tag = this.kind === 'response' ? 'HTTP-response-body-size' : 'HTTP-request-body-size';
    return { tag, val: BigInt(size) };
  }
}

/** wasi:http/types.outgoing-body. */
export class OutgoingBody {
  readonly channel: BodyChannel;
  private streamTaken = false;

  constructor(channel: BodyChannel) {
    this.channel = channel;
  }

  write(): OutputStream {
    if (this.streamTaken) failUnit();
    this.streamTaken = true;
    return new OutputStream(this.channel, this.channel.waiter);
  }

  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    body.channel.finish(trailers);
  }

  /** Called by the glue when the guest drops its handle (not after `finish`, which consumes it). */
  [Symbol.dispose](): void {
    this.channel.dropped();
  }
}
