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

/** `is_valid_trailer_field` (hyper, proto/h1/encode.rs): names never sent as trailers. */
export const INVALID_TRAILER_FIELDS: ReadonlySet<string> = new Set([
  'authorization',
  'cache-control',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'host',
  'max-forwards',
  'set-cookie',
  'trailer',
  'transfer-encoding',
  'te',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether the request takes trailers: its first `TE` header (Node's raw list) is `trailers`. */
export function acceptsTrailers(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
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

/** The names a response's `Trailer` headers declare (lowercased), or null if it has none. */
export function declaredTrailers(headers: ReadonlyArray<readonly [string, Uint8Array]>): Set<string> | null {
  let names: Set<string> | null = null;
  for (const [name, value] of headers) {
    if (name !== 'trailer') continue;
    names ??= new Set();
    for (const part of Buffer.from(value).toString('latin1').split(',')) {
      const trimmed = part.trim();
      if (TOKEN.test(trimmed)) names.add(trimmed.toLowerCase());
    }
  }
  return names;
}

/** Whether a response head has a `content-length`. */
export function hasContentLength(headers: ReadonlyArray<readonly [string, Uint8Array]>): boolean {
  return headers.some(([name]) => name === 'content-length');
}

/** The trailers hyper would send: declared, valid as trailers, one value per name (the last), in
 * the order the names first appear. Values as Node's `addTrailers` takes them (latin1 text). */
export function trailersToSend(
  declared: ReadonlySet<string>,
  trailers: ReadonlyArray<readonly [string, Uint8Array]>,
): Array<[string, string]> {
  const kept = new Map<string, string>();
  for (const [name, value] of trailers) {
    if (!declared.has(name) || INVALID_TRAILER_FIELDS.has(name)) continue;
    kept.set(name, Buffer.from(value).toString('latin1'));
  }
  return [...kept];
}
