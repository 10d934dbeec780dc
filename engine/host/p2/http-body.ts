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
 */

import type { ResponseSink } from './api.ts';
import type { FieldList, Fields } from './fields.ts';
import type { HttpErrorCode } from './http-error.ts';
import { IoError } from './io-error.ts';
import { fail, failUnit, HostTrap } from './result.ts';
import { failStream, OutputStream, STREAM_CLOSED, type WriteTarget } from './streams.ts';

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
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i] as [string, Uint8Array];
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
    const d = (value[i] as number) - 0x30;
    if (d < 0 || d > 9) failUnit();
    n = n * 10 + d;
  }
  if (!Number.isSafeInteger(n)) failUnit();
  return n;
}

export class BodyChannel implements WriteTarget {
  private readonly kind: BodyKind;
  private readonly expected: number;
  private written = 0;
  private state: BodyState = OPEN;
  private abortMessage = '';
  private sink: ResponseSink | null = null;
  /** Chunks written before the sink is bound. */
  private pending: Uint8Array[] | null = null;

  constructor(kind: BodyKind, expectedLength: number) {
    this.kind = kind;
    this.expected = expectedLength;
  }

  write(bytes: Uint8Array): void {
    if (this.state !== OPEN) throw STREAM_CLOSED;
    const total = this.written + bytes.length;
    this.written = total;
    if (this.expected >= 0 && total > this.expected) {
      this.state = FAILED;
      const code = this.sizeError(total);
      failStream(new IoError(`body exceeds its content-length of ${this.expected} bytes (${total} written)`, code));
    }
    const sink = this.sink;
    if (sink !== null) sink.chunk(bytes);
    else (this.pending ??= []).push(bytes);
  }

  check(): void {
    if (this.state !== OPEN) throw STREAM_CLOSED;
  }

  /** `outgoing-body.finish`: completes the body or fails (and aborts it). */
  finish(trailers: Fields | undefined): void {
    if (this.state === FINISHED || this.state === ABORTED) {
      throw new HostTrap('outgoing-body.finish: the body is already complete');
    }
    if (this.expected >= 0 && this.written !== this.expected) {
      const message = `body has ${this.written} bytes but its content-length is ${this.expected}`;
      this.abort(message);
      fail(this.sizeError(this.written));
    }
    if (trailers !== undefined && trailers.list.length > 0) {
      // ResponseSink has no way to carry trailers; refusing beats silently dropping them.
      const message = 'trailers are not supported by the Poolscope host';
      this.abort(message);
      fail({ tag: 'internal-error', val: message } satisfies HttpErrorCode);
    }
    this.state = FINISHED;
    this.sink?.end();
  }

  /** The body resource was dropped: unless finished, the body is truncated. */
  dropped(): void {
    if (this.state === OPEN || this.state === FAILED) this.abort('outgoing-body dropped without finish');
  }

  /** Connects the body to the response sink, right after `sink.head`. */
  bind(sink: ResponseSink): void {
    this.sink = sink;
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      for (const chunk of pending) sink.chunk(chunk);
    }
    if (this.state === FINISHED) sink.end();
    else if (this.state === ABORTED) sink.abort(this.abortMessage);
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
    return new OutputStream(this.channel);
  }

  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    body.channel.finish(trailers);
  }

  /** Called by the glue when the guest drops its handle (not after `finish`, which consumes it). */
  [Symbol.dispose](): void {
    this.channel.dropped();
  }
}
