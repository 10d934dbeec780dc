/**
 * Where an outgoing request goes, checked the way wasmtime checks it before sending anything
 * (`crates/wasi-http/src/p2/http_impl.rs` `outgoing_handler::handle`, `p3/request.rs`
 * `into_http_with_getter`, `authority.rs` `parse_authority`, `default_send_request.rs`):
 * - a method that is not a token: `HTTP-request-method-invalid`;
 * - no scheme: `https` (wasmtime's `default_scheme`); a scheme other than `http`/`https` (exactly
 *   those, lowercase, when given as `other`): `HTTP-protocol-error`;
 * - no or empty authority, a port that is not a number up to 65535, or a path that cannot be a
 *   request target: `HTTP-request-URI-invalid`;
 * - no path: `/`.
 */

import type { ErrorCode } from './types.ts';

/** A method or scheme variant as both worlds' glue represents it. */
export interface Variant {
  tag: string;
  val?: string;
}

export interface TargetInput {
  method: Variant;
  scheme: Variant | undefined | null;
  authority: string | undefined | null;
  pathWithQuery: string | undefined | null;
}

export interface Target {
  /** As sent on the request line. */
  method: string;
  scheme: 'http' | 'https';
  /** `host[:port]` as given (sent as the `host` header, like wasmtime's `set_host_header`). */
  authority: string;
  /** What to connect to: the host without brackets (an IPv6 literal) and the port (default 80/443). */
  hostname: string;
  port: number;
  path: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SCHEME_SYNTAX = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** Printable ASCII without space, `"`, `#`, `<`, `>`, backtick, `{`, `}` or `|` is what `http`'s
 * `PathAndQuery` takes; `%` is left as is. */
const PATH = /^[\x21\x24-\x3b\x3d\x3f-\x5f\x61-\x7a\x7e]*$/;

export const METHOD_INVALID: ErrorCode = Object.freeze({ tag: 'HTTP-request-method-invalid' });
export const PROTOCOL_ERROR: ErrorCode = Object.freeze({ tag: 'HTTP-protocol-error' });
export const URI_INVALID: ErrorCode = Object.freeze({ tag: 'HTTP-request-URI-invalid' });

/** The method as sent: named cases uppercase (`get` → `GET`), `other` as the guest spelled it. */
export function methodName(method: Variant): string {
  return method.tag === 'other' ? (method.val ?? '') : method.tag.toUpperCase();
}

/** The scheme as the guest asked for it, for messages and records (`https` when none). */
export function schemeName(scheme: Variant | undefined | null): string {
  if (scheme === undefined || scheme === null) return 'https';
  return scheme.tag === 'other' ? (scheme.val ?? '') : scheme.tag.toLowerCase();
}

/** `scheme://authority/path` as the guest asked for it (for messages; never parsed). */
export function describeUrl(input: TargetInput): string {
  return `${schemeName(input.scheme)}://${input.authority ?? ''}${input.pathWithQuery ?? '/'}`;
}

export function resolveTarget(input: TargetInput): Target | { error: ErrorCode } {
  const method = methodName(input.method);
  if (!TOKEN.test(method)) return { error: METHOD_INVALID };

  let scheme: 'http' | 'https';
  const given = input.scheme;
  if (given === undefined || given === null) scheme = 'https';
  else if (given.tag === 'HTTP') scheme = 'http';
  else if (given.tag === 'HTTPS') scheme = 'https';
  else {
    const name = given.val ?? '';
    // `http::uri::Scheme` parses exactly `http`/`https` as the standard schemes; anything else is
    // an "other" scheme, which wasmtime does not support.
    if (!SCHEME_SYNTAX.test(name) || (name !== 'http' && name !== 'https')) return { error: PROTOCOL_ERROR };
    scheme = name;
  }

  const authority = input.authority ?? '';
  const parsed = parseAuthority(authority);
  if (parsed === null) return { error: URI_INVALID };

  let path = input.pathWithQuery ?? '';
  if (path === '') path = '/';
  if (!PATH.test(path) || (!path.startsWith('/') && path !== '*')) return { error: URI_INVALID };

  return {
    method,
    scheme,
    authority,
    hostname: parsed.hostname,
    port: parsed.port ?? (scheme === 'https' ? 443 : 80),
    path,
  };
}

/**
 * wasmtime's `parse_authority`: `host[:port]` or `[v6]:port`, optionally with `userinfo@`
 * (which then takes part in the name lookup and fails it, as in wasmtime); a port, when there is
 * a `:` for one, must be a number up to 65535. Null when invalid.
 */
export function parseAuthority(authority: string): { hostname: string; port: number | null } | null {
  if (authority.length === 0 || /[\s/?#]/.test(authority)) return null;
  const bracket = authority.lastIndexOf(']');
  let hostPart = authority;
  let portText: string | null = null;
  const colon = authority.lastIndexOf(':');
  if (colon > bracket) {
    hostPart = authority.slice(0, colon);
    portText = authority.slice(colon + 1);
  }
  let port: number | null = null;
  if (portText !== null) {
    if (!/^[0-9]{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port > 65535) return null;
  }
  const at = hostPart.lastIndexOf('@');
  const hostOnly = at >= 0 ? hostPart.slice(at + 1) : hostPart;
  if (hostOnly.startsWith('[')) {
    if (!hostOnly.endsWith(']') || hostOnly.length < 3) return null;
    return { hostname: at >= 0 ? hostPart : hostOnly.slice(1, -1), port };
  }
  if (hostOnly.includes('[') || hostOnly.includes(']') || hostOnly.includes(':')) return null;
  if (hostOnly.length === 0) return null;
  return { hostname: hostPart, port };
}
