/**
 * How a failed outgoing request becomes a `wasi:http/types.error-code`, as wasmtime's
 * `default_send_request` and its default hooks decide (`crates/wasi-http/src/
 * default_send_request.rs`, `ctx.rs` `p2_error_from_*`/`p3_error_from_*`, `p2/error.rs`
 * `error_to_p2`, `p3/conv.rs` `error_to_p3`). The stage at which Node's client failed stands in
 * for the Rust error's variant:
 *
 * | stage (Node)                                  | wasmtime                                  | error-code |
 * |-----------------------------------------------|-------------------------------------------|------------|
 * | name lookup (`getaddrinfo`), `EADDRNOTAVAIL`  | `Error::Connect`, "failed to lookup address information" / `AddrNotAvailable` | `DNS-error { rcode: "address not available" }` |
 * | TCP connect (refused, unreachable, reset, …)  | `Error::Connect` → `p2_error_from_connect` | `connection-refused` |
 * | connect timeout (lookup + connect + TLS)      | `tokio::time::timeout(connect_timeout)`    | `connection-timeout` |
 * | TLS handshake, certificate checks             | `Error::Tls` → `p2_error_from_tls`         | `TLS-protocol-error` |
 * | after connecting, before the response head    | `hyper::Error` → `p2_error_from_hyper`     | `HTTP-protocol-error` |
 * | first-byte timeout                            | `Error::ConnectionReadTimeout`             | `connection-read-timeout` |
 * | response body: the connection failed          | `hyper_response_error`                     | `HTTP-protocol-error` |
 * | response body: between-bytes timeout          | `Error::ConnectionReadTimeout`             | `connection-read-timeout` |
 *
 * wasmtime's default hooks never produce `TLS-certificate-error` or `TLS-alert-received`: an
 * untrusted certificate is a `TLS-protocol-error` there, and here. What Node or OpenSSL said is
 * kept for the host's user (`describeCause`, in the record), never put into the guest's
 * error-code.
 */

import type { ErrorCode } from './types.ts';

export const DNS_ERROR: ErrorCode = Object.freeze({
  tag: 'DNS-error',
  val: Object.freeze({ rcode: 'address not available', infoCode: undefined }),
});
export const CONNECTION_REFUSED: ErrorCode = Object.freeze({ tag: 'connection-refused' });
export const CONNECTION_TIMEOUT: ErrorCode = Object.freeze({ tag: 'connection-timeout' });
export const CONNECTION_READ_TIMEOUT: ErrorCode = Object.freeze({ tag: 'connection-read-timeout' });
export const CONNECTION_LIMIT_REACHED: ErrorCode = Object.freeze({ tag: 'connection-limit-reached' });
export const TLS_PROTOCOL_ERROR: ErrorCode = Object.freeze({ tag: 'TLS-protocol-error' });
export const HTTP_PROTOCOL_ERROR: ErrorCode = Object.freeze({ tag: 'HTTP-protocol-error' });
export const HTTP_REQUEST_DENIED: ErrorCode = Object.freeze({ tag: 'HTTP-request-denied' });
/** What a call still waiting on a request its instance let go of gets (it is going away). */
export const REQUEST_CANCELLED: ErrorCode = Object.freeze({
  tag: 'internal-error',
  val: 'the outgoing request was cancelled',
});

/** Where the exchange was when Node's client failed. */
export type Stage = 'connect' | 'tls' | 'http';

/** Error codes Node gives name-lookup failures (`getaddrinfo`, c-ares). */
const LOOKUP_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  'EAI_ADDRFAMILY',
  'ENODATA',
  'ESERVFAIL',
  'EADDRNOTAVAIL',
]);

interface NodeError {
  code?: unknown;
  syscall?: unknown;
  message?: unknown;
  reason?: unknown;
}

/** The error-code for a failure of Node's client at `stage`. */
export function errorCodeFor(stage: Stage, error: unknown): ErrorCode {
  const e: NodeError = typeof error === 'object' && error !== null ? error : {};
  if (stage === 'connect') {
    if (e.syscall === 'getaddrinfo' || (typeof e.code === 'string' && LOOKUP_CODES.has(e.code))) return DNS_ERROR;
    return CONNECTION_REFUSED;
  }
  if (stage === 'tls') return TLS_PROTOCOL_ERROR;
  return HTTP_PROTOCOL_ERROR;
}

/** A short account of what Node said, for the host's user: `ECONNREFUSED 127.0.0.1:9`,
 * `ERR_SSL_WRONG_VERSION_NUMBER: wrong version number`, `getaddrinfo ENOTFOUND x.invalid`. */
export function describeCause(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e: NodeError = error;
  // OpenSSL's own text is long and multi-line; its `reason` is the readable part.
  if (typeof e.reason === 'string' && e.reason.length > 0)
    return typeof e.code === 'string' ? `${e.code}: ${e.reason}` : e.reason;
  const message = typeof e.message === 'string' ? (e.message.split('\n')[0] ?? '') : String(error);
  if (typeof e.code === 'string' && !message.includes(e.code)) return `${e.code}: ${message}`;
  return message;
}

/** The payload of an error-code as text (`12`, `rcode="address not available"`), or null if none. */
export function describePayload(code: ErrorCode): string | null {
  const val = code.val;
  if (val === undefined || val === null) return null;
  if (typeof val !== 'object') return typeof val === 'string' ? JSON.stringify(val) : String(val);
  const parts: string[] = [];
  const fields: Array<[string, unknown]> = Object.entries(val);
  for (const [key, value] of fields) {
    if (value === undefined || value === null) continue;
    const name = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    parts.push(`${name}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return parts.length > 0 ? parts.join(', ') : null;
}
