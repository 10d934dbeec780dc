/**
 * WASIp3 outgoing HTTP: `wasi:http/client.send` (and the imported `wasi:http/handler.handle` of
 * the 0.3 release candidates) over the instance's `OutgoingClient` (../outgoing/client.ts), the
 * same client, error codes, header rules, timeouts and records as WASIp2's outgoing-handler, in
 * place of preview3-shim's client (which ran requests in a worker of its own and handed Node's
 * hop-by-hop headers to the guest). As wasmtime's p3 `send` (crates/wasi-http/src/p3/host/
 * handler.rs, p3/request.rs `into_http_with_getter`):
 * - refusals (`HTTP-request-denied`, invalid method/scheme/URI, `connection-limit-reached`) and
 *   failures before the response head (DNS, connect, TLS, first-byte timeout, a request body that
 *   failed) are `send`'s `err(error-code)`;
 * - the request body streams from the guest's `stream<u8>` as the connection takes it, then its
 *   trailers; the future `request.new` returned completes with how that went;
 * - the response's headers are immutable and hold no forbidden header (`hostFields`, p3/fields.ts);
 *   its body is a `stream<u8>` read from the connection as the guest (or the pool, for a response
 *   the guest passes on) reads it; its trailers future resolves when the body has ended, to the
 *   trailers (forbidden ones removed) or to the error the body failed with (the stream then ends
 *   early);
 * - closing the body before its end closes the connection (and so does dropping the response
 *   before its body was taken: the shim closes the body's reader);
 * - the exchange counts against its instance's bound until the guest has let go of it: the head
 *   is taken when `send` returns the response; then its body is read to the end, or closed.
 */

import { FutureReader, future } from '@bytecodealliance/preview3-shim/future';
import { StreamReader } from '@bytecodealliance/preview3-shim/stream';
import { timeoutsFrom, type OutgoingClient } from '../outgoing/client.ts';
import { HTTP_PROTOCOL_ERROR } from '../outgoing/error-codes.ts';
import { BODY_END, type OutgoingExchange } from '../outgoing/exchange.ts';
import type { Variant } from '../outgoing/target.ts';
import type { ErrorCode, FieldList } from '../outgoing/types.ts';
import { fieldList, hostFields, readableFieldList } from './fields.ts';

/** The slice of preview3-shim's `Request` (Node build) that sending reads. */
interface ShimRequest {
  getMethod(): Variant;
  getScheme(): Variant | undefined;
  getAuthority(): string | undefined;
  getPathWithQuery(): string | undefined;
  getHeaders(): object;
  getOptions(): ShimRequestOptions | null | undefined;
  /** Completes the future `request.new` returned to the guest. */
  _resolve(result: { tag: 'ok' | 'err'; val?: unknown }): void;
  [Symbol.dispose]?(): void;
}
interface ShimRequestOptions {
  getConnectTimeout(): bigint | undefined;
  getFirstByteTimeout(): bigint | undefined;
  getBetweenBytesTimeout(): bigint | undefined;
}
interface ShimReader {
  read(): Promise<unknown>;
  close?(): void;
}
export interface ShimHttpTypes {
  Request: { consumeBody(request: unknown, res: unknown): [ShimReader | null, ShimReader] };
  Response: {
    new: (headers: object, contents: unknown, trailers: unknown) => [{ setStatusCode(code: number): void }, unknown];
  };
}

/** The most one read of the response body hands over. */
const READ_CHUNK = 64 * 1024;

/**
 * `send` for one instance. `dropGuestBody(request)` drops the guest's end of a request's body
 * stream (so its writes report the reader gone) when the request is refused or its connection
 * fails while the guest is still writing.
 */
export function createP3Send(
  client: OutgoingClient,
  types: ShimHttpTypes,
  dropGuestBody: (request: object) => void,
): (request: unknown) => Promise<unknown> {
  return async (value: unknown): Promise<unknown> => {
    // What the glue hands `send`: a request the guest built with the shim's `Request.new` (no other
    // kind exists in a p3 guest), checked no further on this per-request path.
    const request = value as ShimRequest;
    const target = client.resolve({
      method: request.getMethod(),
      scheme: request.getScheme(),
      authority: request.getAuthority(),
      pathWithQuery: request.getPathWithQuery(),
    });
    if ('error' in target) return refuse(request, target.error, dropGuestBody);

    const headers = fieldList(request.getHeaders());
    const { rx } = future();
    const [body, trailers] = types.Request.consumeBody(request, rx);
    const options = request.getOptions();
    const timeouts = timeoutsFrom(
      options
        ? {
            connect: options.getConnectTimeout(),
            firstByte: options.getFirstByteTimeout(),
            betweenBytes: options.getBetweenBytesTimeout(),
          }
        : null,
    );
    const exchange = client.start(target, headers, body !== null, timeouts);
    if ('error' in exchange) {
      body?.close?.();
      return refuse(request, exchange.error, dropGuestBody);
    }
    void sendBody(exchange, request, body, trailers, declaredLength(headers), dropGuestBody);

    let head = exchange.takeHead();
    while (head.state === 'pending') {
      await exchange.changed();
      head = exchange.takeHead();
    }
    if (head.state === 'failed') throw { payload: head.error };

    const contents = new StreamReader(responseBody(exchange));
    const [response] = types.Response.new(
      hostFields(head.headers),
      contents,
      new FutureReader(responseTrailers(exchange)),
    );
    try {
      response.setStatusCode(head.status);
    } catch {
      // hyper takes 100–999, the shim's response 100–599: a status it cannot hold is an
      // upstream it cannot speak with.
      exchange.cancel();
      throw { payload: HTTP_PROTOCOL_ERROR };
    }
    return response;
  };
}

function refuse(request: ShimRequest, code: ErrorCode, dropGuestBody: (request: object) => void): never {
  dropGuestBody(request);
  request._resolve({ tag: 'err', val: code });
  throw { payload: code };
}

/** Streams the guest's request body to the connection as it takes it, then the trailers; then
 * completes the request's future. */
async function sendBody(
  exchange: OutgoingExchange,
  request: ShimRequest,
  body: ShimReader | null,
  trailers: ShimReader,
  expected: number,
  dropGuestBody: (request: object) => void,
): Promise<void> {
  let sent = 0;
  try {
    if (body !== null) {
      for (;;) {
        let room = exchange.requestRoom();
        while (room === 0) {
          await exchange.changed();
          room = exchange.requestRoom();
        }
        if (room < 0) {
          // The request can take no more (it failed or was let go): the guest's writes now fail.
          dropGuestBody(request);
          const head = exchange.head();
          // Before a response: why the request failed; after one: the connection is gone.
          request._resolve({ tag: 'err', val: head.state === 'failed' ? head.error : HTTP_PROTOCOL_ERROR });
          return;
        }
        const chunk = await body.read();
        if (chunk === null || chunk === undefined) break;
        const bytes = toBytes(chunk);
        sent += bytes.length;
        // wasmtime checks the body against its content-length as it goes (p3 `GuestBody`); the
        // shim does too, but not for every kind of stream it is given.
        if (expected >= 0 && sent > expected) throw bodySizeError(sent);
        if (bytes.length > 0) exchange.writeBody(bytes);
      }
      if (expected >= 0 && sent !== expected) throw bodySizeError(sent);
      exchange.endBody(await guestTrailers(trailers));
    }
    request._resolve({ tag: 'ok', val: undefined });
  } catch (error) {
    const payload = typeof error === 'object' && error !== null && 'payload' in error ? error.payload : undefined;
    const code = isErrorCode(error) ? error : isErrorCode(payload) ? payload : null;
    const failure = code ?? { tag: 'internal-error', val: 'the request body could not be read' };
    exchange.failBody(failure, 'the request body failed');
    dropGuestBody(request);
    request._resolve({ tag: 'err', val: failure });
  }
}

/** `HTTP-request-body-size(n)`: the body broke its `content-length` after `n` bytes. */
function bodySizeError(bytes: number): ErrorCode {
  return { tag: 'HTTP-request-body-size', val: BigInt(bytes) };
}

/** The `content-length` the request's headers declare (fields keep it as decimal digits), -1 if none. */
function declaredLength(headers: FieldList): number {
  for (const [name, value] of headers) {
    if (name !== 'content-length') continue;
    const n = Number(Buffer.from(value).toString('latin1'));
    return Number.isSafeInteger(n) && n >= 0 ? n : -1;
  }
  return -1;
}

/** The trailers the guest gave its request body's future (`ok(some(fields))`), if it gave any. */
async function guestTrailers(trailers: ShimReader): Promise<FieldList | null> {
  const outcome = await trailers.read();
  if (outcome === null || outcome === undefined) return null;
  if (isResult(outcome)) {
    if (outcome.tag === 'err') throw { payload: outcome.val };
    if (outcome.tag !== 'ok') return null;
    return readableFieldList(outcome.val) ?? null;
  }
  return readableFieldList(outcome) ?? null;
}

/** The response body as an async iterable for the shim's `StreamReader`: chunks as the guest
 * reads them; it ends at the end of the body, or early when the body failed (the trailers future
 * says why). Returning early (the reader closed) lets go of the connection. */
function responseBody(exchange: OutgoingExchange): AsyncIterable<Uint8Array> {
  let done = false;
  const iterator: AsyncIterator<Uint8Array, undefined> = {
    async next(): Promise<IteratorResult<Uint8Array, undefined>> {
      for (;;) {
        if (done) return { done: true, value: undefined };
        const result = exchange.readBody(READ_CHUNK);
        if (result instanceof Uint8Array) {
          if (result.length > 0) return { done: false, value: ownBuffer(result) };
          await exchange.changed();
          continue;
        }
        // BODY_END, or an error: the stream ends; the trailers future carries the error.
        done = true;
        if (result === BODY_END) return { done: true, value: undefined };
      }
    },
    async return(): Promise<IteratorResult<Uint8Array, undefined>> {
      if (!done) {
        done = true;
        exchange.cancel();
      }
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** `result<option<trailers>, error-code>` once the body has ended. */
async function responseTrailers(
  exchange: OutgoingExchange,
): Promise<{ tag: 'ok'; val: object | null } | { tag: 'err'; val: ErrorCode }> {
  let outcome = exchange.trailers();
  while (outcome === undefined) {
    await exchange.changed();
    outcome = exchange.trailers();
  }
  if (outcome.tag === 'err') return outcome;
  return { tag: 'ok', val: outcome.val === null ? null : hostFields(outcome.val) };
}

/** A chunk that owns its whole buffer: it may be posted to another thread (a response the guest
 * passes on), and a view would carry the rest of Node's buffer with it. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (Array.isArray(chunk)) return Uint8Array.from(chunk);
  return new Uint8Array(0);
}

function isResult(value: unknown): value is { tag: string; val?: unknown } {
  return typeof value === 'object' && value !== null && 'tag' in value && typeof value.tag === 'string';
}

function isErrorCode(value: unknown): value is ErrorCode {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    'tag' in value &&
    typeof value.tag === 'string'
  );
}
