/**
 * Which response trailers reach the client, as `wasmtime serve` decides it: its HTTP/1.1 server
 * is hyper's (`http1::Builder` in src/commands/serve.rs, hyper 1.9), which sends a guest's
 * trailers only when all of these hold:
 *
 * - the request said it takes them: its first `TE` header is exactly `trailers`
 *   (`allow_trailer_fields`, proto/h1/conn.rs; otherwise `write_trailers` drops them);
 * - the response is chunked: no `content-length` and a status, method and HTTP version that allow
 *   a chunked body (`Server::can_chunked`, proto/h1/role.rs); a sized response has no room for
 *   them (`encode_trailers`, proto/h1/encode.rs: "attempted to encode trailers for non-chunked
 *   response");
 * - the response head declared them in a `Trailer` header (`allowed_trailer_fields`, role.rs):
 *   only the names it lists are sent, except those RFC 9110 forbids in trailers
 *   (`is_valid_trailer_field`, encode.rs), and a name sent twice keeps its last value (hyper
 *   rebuilds them with `HeaderMap::insert`).
 *
 * hyper leaves the `Trailer` header out of a response that cannot be chunked (HTTP/1.0, HEAD,
 * 1xx, 204, 304, a 2xx to CONNECT); so do we. Node refuses to send a `Trailer` header on a
 * response with a `content-length` (ERR_HTTP_TRAILER_INVALID), where hyper sends it and then no
 * trailers: we leave it out there too (the one difference; the trailers are dropped either way).
 */

import { declaredTrailers, INVALID_TRAILER_FIELDS, trailersToSend } from '../host/http-rules.ts';

/** The rules hyper's client and server share live with the other header rules (an outgoing
 * request's trailers follow them too). */
export { declaredTrailers, INVALID_TRAILER_FIELDS, trailersToSend };

/** Whether the request takes trailers: its first `TE` header (Node's raw list) is `trailers`. */
export function acceptsTrailers(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    // i + 1 < rawHeaders.length: the entry exists (noUncheckedIndexedAccess cannot see it).
    if ((rawHeaders[i] as string).toLowerCase() === 'te') return rawHeaders[i + 1] === 'trailers';
  }
  return false;
}

/** Whether a response can have a chunked body (hyper's `Server::can_chunked`, plus the cases
 * where it has no body at all). */
export function canChunk(request: { method: string; httpVersion: string }, status: number): boolean {
  if (request.httpVersion === '1.0' || request.httpVersion === '0.9') return false;
  if (request.method === 'HEAD') return false;
  if (request.method === 'CONNECT' && status >= 200 && status < 300) return false;
  return status >= 200 && status !== 204 && status !== 304;
}

/** Whether a response head has a `content-length`. */
export function hasContentLength(headers: ReadonlyArray<readonly [string, Uint8Array]>): boolean {
  return headers.some(([name]) => name === 'content-length');
}
