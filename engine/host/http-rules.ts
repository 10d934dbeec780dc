/**
 * wasi:http's header rules, shared by the WASIp2 host (`p2/fields.ts`, `p2/http-incoming.ts`) and
 * the WASIp3 one (`p3/fields.ts`, `thread/p3-http.ts`). Pure functions over field lists; each
 * follows a piece of wasmtime (`crates/wasi-http` at the mirrored revision) or of the `http` crate
 * it builds on, named beside it.
 *
 * - Forbidden headers: `DEFAULT_FORBIDDEN_HEADERS` (lib.rs), what `WasiHttpHooks::is_forbidden_header`
 *   (ctx.rs) answers by default. A guest can neither set them (`fields.set/append/delete` fail with
 *   `forbidden`) nor see them: `withoutForbidden` is `FieldMap::new_immutable` (field_map.rs), which
 *   strips them from every map the host creates for a guest (incoming request headers and trailers,
 *   upstream response headers and trailers).
 * - Names: `http::HeaderName::from_bytes`: an RFC 9110 token of 1 to 65535 bytes, lowercased.
 * - Values: `http::HeaderValue::try_from`: any byte but controls other than HTAB (obs-text allowed);
 *   `content-length` must be 1*DIGIT fitting a u64 and is stored as that number
 *   (`parse_header_value`, field_map.rs: `"007"` becomes `"7"`).
 * - Size: a mutable map holds at most `FIELD_SIZE_LIMIT` bytes, counted as wasmtime does
 *   (`header_name_size` once per distinct name, `header_value_size` per value, field_map.rs).
 * - Order: a map is an `http::HeaderMap`: its entries are grouped by name, names in the order they
 *   were first added, values of one name in the order they were added.
 */

export type FieldPair = [name: string, value: Uint8Array];
export type FieldList = FieldPair[];
/** A list as callers hand it over (read only). */
export type ReadonlyFieldList = ReadonlyArray<readonly [name: string, value: Uint8Array]>;

/** wasmtime's `DEFAULT_FORBIDDEN_HEADERS` (crates/wasi-http/src/lib.rs): connection-specific
 * headers, and `host` (the authority carries it). */
export const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/** Whether a lowercased name is one a guest may neither see nor set. */
export function isForbidden(lowerName: string): boolean {
  return FORBIDDEN_HEADERS.has(lowerName);
}

/** RFC 9110 `token`: the bytes `http::HeaderName` accepts in a name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UPPERCASE = /[A-Z]/;
/** `http`'s `MAX_HEADER_NAME_LEN`. */
const MAX_NAME_LENGTH = 65535;

/** The lowercased name, or undefined if `http::HeaderName::from_bytes` refuses it. */
export function normalizeName(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH || !TOKEN.test(name)) return undefined;
  return UPPERCASE.test(name) ? name.toLowerCase() : name;
}

/** `http::HeaderValue::try_from`: every byte is HTAB, or 0x20..0xff but DEL. */
export function isValidValue(value: Uint8Array): boolean {
  for (const b of value) {
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) return false;
  }
  return true;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const DIGITS = /^[0-9]+$/;

/**
 * The value a guest's `set`/`append` stores for `lowerName`, or undefined if it is invalid
 * (`parse_header_value` in field_map.rs). `content-length` is parsed as a u64 and stored as its
 * decimal form; any other value is kept as is.
 */
export function parseValue(lowerName: string, value: Uint8Array): Uint8Array | undefined {
  if (lowerName !== 'content-length') return isValidValue(value) ? value : undefined;
  const text = latin1(value);
  if (!DIGITS.test(text)) return undefined;
  const n = BigInt(text);
  if (n > U64_MAX) return undefined;
  const canonical = n.toString();
  return canonical === text ? value : ascii(canonical);
}

/** wasmtime's `DEFAULT_FIELD_SIZE_LIMIT` (ctx.rs): what one mutable `fields` may hold. */
export const FIELD_SIZE_LIMIT = 128 * 1024;
/** `size_of::<HeaderName>()` and `size_of::<HeaderValue>()` on a 64-bit host: what wasmtime adds
 * per name and per value (`header_name_size`, `header_value_size` in field_map.rs), so that even
 * empty values count. */
export const NAME_OVERHEAD = 32;
export const VALUE_OVERHEAD = 40;

export function nameSize(lowerName: string): number {
  return lowerName.length + NAME_OVERHEAD;
}

export function valueSize(value: Uint8Array): number {
  return value.length + VALUE_OVERHEAD;
}

/** `FieldMap::content_size`: every distinct name once, every value. The list must be grouped
 * (see `withoutForbidden`): a name counts again wherever its run starts anew. */
export function fieldsSize(list: ReadonlyFieldList): number {
  let size = 0;
  let previous: string | undefined;
  for (const [name, value] of list) {
    if (name !== previous) size += nameSize(name);
    size += valueSize(value);
    previous = name;
  }
  return size;
}

/**
 * A field list the host hands to a guest, as wasmtime's `FieldMap::new_immutable` makes it from
 * an `http::HeaderMap`: names lowercased, forbidden headers removed, values of one name brought
 * together after its first occurrence (a HeaderMap's order). Use it for every header or trailer
 * list the host creates for a guest: incoming request headers and trailers (both worlds), and the
 * headers and trailers of upstream responses.
 *
 * The input is returned as is when it already qualifies (the common case for a request from
 * Node, which lowercases nothing but seldom repeats a name): callers must treat the result as
 * read-only, like any immutable fields.
 */
export function withoutForbidden(list: ReadonlyFieldList): FieldList {
  let seen: Set<string> | null = null;
  let previous: string | undefined;
  for (const [name] of list) {
    if (UPPERCASE.test(name) || FORBIDDEN_HEADERS.has(name)) return rebuild(list);
    if (name === previous) continue;
    // A name seen before but not just before: its values must be brought together.
    if (seen?.has(name)) return rebuild(list);
    (seen ??= new Set()).add(name);
    previous = name;
  }
  // Already qualifies: returned as is, read-only by this function's contract (see above).
  return list as FieldList;
}

function rebuild(list: ReadonlyFieldList): FieldList {
  const groups = new Map<string, Uint8Array[]>();
  for (const [name, value] of list) {
    const lower = name.toLowerCase();
    if (FORBIDDEN_HEADERS.has(lower)) continue;
    const values = groups.get(lower);
    if (values) values.push(value);
    else groups.set(lower, [value]);
  }
  const out: FieldList = [];
  for (const [name, values] of groups) for (const value of values) out.push([name, value]);
  return out;
}

/**
 * Which trailers hyper 1.9 sends after a chunked HTTP/1 body, for both of its roles: the front
 * door's responses (`wasmtime serve`'s server, `../server/trailers.ts` adds its other conditions)
 * and outgoing requests (wasmtime's client, `outgoing/exchange.ts`). Only names the head declared
 * in a `Trailer` header (`allowed_trailer_fields` in proto/h1/role.rs, server and client alike),
 * never those RFC 9110 forbids in trailers (`is_valid_trailer_field`, proto/h1/encode.rs), one
 * value per name (`encode_trailers` rebuilds them with `HeaderMap::insert`).
 */
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

/** The names a head's `Trailer` headers declare (lowercased), or null if it has none. */
export function declaredTrailers(headers: ReadonlyFieldList): Set<string> | null {
  let names: Set<string> | null = null;
  for (const [name, value] of headers) {
    if (name !== 'trailer') continue;
    names ??= new Set();
    for (const part of latin1(value).split(',')) {
      const trimmed = part.trim();
      if (TOKEN.test(trimmed)) names.add(trimmed.toLowerCase());
    }
  }
  return names;
}

/** The trailers hyper would send: declared, valid as trailers, one value per name (the last), in
 * the order the names first appear. Values as Node's `addTrailers` takes them (latin1 text). */
export function trailersToSend(declared: ReadonlySet<string>, trailers: ReadonlyFieldList): Array<[string, string]> {
  const kept = new Map<string, string>();
  for (const [name, value] of trailers) {
    if (!declared.has(name) || INVALID_TRAILER_FIELDS.has(name)) continue;
    kept.set(name, latin1(value));
  }
  return [...kept];
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
