/**
 * The HTTP side of a WASIp3 instance: the pool's buffered request as a `wasi:http/types@0.3`
 * request, the guest's response body and trailers streamed to the pool's sink, and error codes
 * and traps in wasmtime's words.
 *
 * Headers and trailers follow wasmtime's rules (../host/http-rules.ts; importing ../host/p3/
 * fields.ts gives the shim's `Fields` them): the request's headers and trailers are made like
 * `Request::from_http` makes them (`FieldMap::new_immutable`: no forbidden header, immutable).
 */

import { future } from '@bytecodealliance/preview3-shim/future';
import { StreamReader } from '@bytecodealliance/preview3-shim/stream';
import type { IncomingRequestInit, ResponseSink, WriteWindow } from '../../base/http-exchange.ts';
import { hostFields, readableFieldList } from '../host/p3/fields.ts';
import { dropGuestBody, httpTypes, type P3ByteReader, type P3Fields, type P3Response } from '../host/p3/imports.ts';

const { Request, Response } = httpTypes;

/** `ok(none)`: the request had no trailers. */
const NO_TRAILERS = Object.freeze({ tag: 'ok', val: undefined });

/** Builds a `wasi:http/types@0.3` request from the pool's buffered request. */
export function newRequest(init: IncomingRequestInit): unknown {
  // `host` is forbidden (the authority carries it), like the hop-by-hop headers.
  // hostFields returns the shim's own Fields object (typed `object` there), which has P3Fields' copyAll.
  const headers = hostFields(init.headers) as P3Fields;
  // Always a stream (possibly empty): `consume-body` hands the guest a `stream<u8>`, not an option.
  const body = new StreamReader(init.body.length > 0 ? [init.body] : []);
  // The body is complete, so its trailers are known: `ok(some(trailers))` if the request had a
  // trailer section (even if all of it was forbidden, as wasmtime hands over the emptied map),
  // else `ok(none)`.
  const received = init.trailers;
  const trailers =
    received !== undefined && received.length > 0 ? { tag: 'ok', val: hostFields(received) } : NO_TRAILERS;
  const [request] = Request.new(headers, body, Promise.resolve(trailers), null);
  request.setMethod(init.method);
  request.setScheme(init.scheme);
  request.setAuthority(init.authority);
  request.setPathWithQuery(init.pathWithQuery);
  return request;
}

/** Reads the response body as the guest produces it, then its trailers (handed to the sink with
 * the end; the front door decides whether they reach the client); then completes the future
 * `response.new` returned to the guest (how the transmission went). A chunk is read only when the
 * client can take more (the sink's window): until then the guest's stream writes wait, which is
 * the stream's backpressure. If the client leaves, the body's readable end is dropped (the
 * guest's own end, see `dropGuestBody`), so the guest's writes report it gone, and the
 * transmission future fails. */
export async function streamBody(response: P3Response, sink: ResponseSink): Promise<void> {
  const { rx } = future();
  let body: P3ByteReader | null;
  let trailers: { read(): Promise<unknown> };
  let responseTrailers: Array<[string, Uint8Array]> | undefined;
  try {
    [body, trailers] = Response.consumeBody(response, rx);
  } catch (error) {
    sink.abort(`cannot read the response body: ${describeError(error)}`);
    return;
  }
  try {
    if (body) {
      for (;;) {
        if (sink.window && !(await roomIn(sink.window))) {
          body[Symbol.dispose]?.();
          dropGuestBody(response); // the guest's writes now report the reader gone
          sink.abort('the client went away');
          response._resolve({ tag: 'err', val: { tag: 'internal-error', val: 'the client went away' } });
          return;
        }
        const chunk: unknown = await body.read();
        if (chunk === null || chunk === undefined) break;
        // Not a Uint8Array: the glue's chunk is then an ArrayBuffer (or an array of bytes, which the
        // constructor takes as well); unchecked on this per-chunk path.
        const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk as ArrayBuffer);
        if (bytes.length > 0) sink.chunk(bytes);
      }
    }
    const outcome = await trailers.read();
    if (isResult(outcome) && outcome.tag === 'err') throw outcome.val;
    responseTrailers = trailersOf(outcome);
  } catch (error) {
    const message = describeError(error);
    sink.abort(`the response body failed: ${message}`);
    response._resolve({ tag: 'err', val: { tag: 'internal-error', val: message } });
    return;
  }
  if (responseTrailers === undefined) sink.end();
  else sink.end(responseTrailers);
  response._resolve({ tag: 'ok', val: undefined });
}

/** The entries of `ok(some(trailers))` (a copy: the pool posts them to another thread), or
 * undefined for `ok(none)` and for empty trailers (no trailers at all, as in hyper). Trailers the
 * glue handed over as a stand-in it lost track of (a jco bug, see `readableFieldList`) cannot be
 * read: the response ends without them, as it would for a client that did not ask for trailers,
 * rather than failing a body that was delivered whole. */
function trailersOf(outcome: unknown): Array<[string, Uint8Array]> | undefined {
  const list = readableFieldList(isResult(outcome) ? outcome.val : outcome);
  return list !== undefined && list.length > 0 ? list.slice() : undefined;
}

/** How long one wait for room lasts before the window is looked at again (a safety net: every
 * change of the window is notified). */
const ROOM_WAIT_SLICE_MS = 1000;

/** Resolves true once the window has room, false once the client has gone. */
async function roomIn(window: WriteWindow): Promise<boolean> {
  for (;;) {
    // Read the signal first: a change after this read resolves the wait at once.
    const seen = Atomics.load(window.signal, 0);
    const available = window.available();
    if (available !== 0) return available > 0;
    const wait = Atomics.waitAsync(window.signal, 0, seen, ROOM_WAIT_SLICE_MS);
    if (wait.async) await wait.value;
  }
}

interface ErrorCodeValue {
  tag: string;
  val?: unknown;
}

function isResult(value: unknown): value is { tag: 'ok' | 'err'; val?: unknown } {
  if (typeof value !== 'object' || value === null || !('tag' in value)) return false;
  return value.tag === 'ok' || value.tag === 'err';
}

/** A `wasi:http/types.error-code` as the glue throws it for `Err` (a plain variant object). */
export function isErrorCode(value: unknown): value is ErrorCodeValue {
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  return 'tag' in value && typeof value.tag === 'string';
}

/** `internal-error("boom")`, `HTTP-request-denied`, `DNS-error({"rcode":"x","infoCode":1})`. */
export function formatErrorCode(code: ErrorCodeValue): string {
  if (code.val === undefined || code.val === null) return code.tag;
  const payload = JSON.stringify(code.val, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
  return `${code.tag}(${payload})`;
}

/** V8's own trap messages ("unreachable") as wasmtime words them ("wasm trap: …"). */
export function describeTrap(error: Error): string {
  if (error instanceof WebAssembly.RuntimeError && !error.message.startsWith('wasm trap'))
    return `wasm trap: ${error.message}`;
  return error.message;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (isErrorCode(error)) return formatErrorCode(error);
  if (typeof error === 'object' && error !== null && 'payload' in error) return describeError(error.payload);
  return String(error);
}
