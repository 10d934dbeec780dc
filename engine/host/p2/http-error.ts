/**
 * wasi:http/types.error-code: its JS shape, and a readable rendering for `ResponseSink.error`.
 */

import { IoError } from './io-error.ts';

/** A `wasi:http/types.error-code` as the glue represents it: `{ tag }` for cases without payload,
 * `{ tag, val }` otherwise (val: a number/bigint, a string, undefined, or a record). */
export interface HttpErrorCode {
  tag: string;
  val?: unknown;
}

/** The kebab-case spelling of a camelCase record field (`infoCode` → `info-code`). */
function witName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function describePayload(val: unknown): string | undefined {
  if (val === undefined || val === null) return undefined;
  if (typeof val === 'string') return JSON.stringify(val);
  if (typeof val !== 'object') return String(val);
  const parts: string[] = [];
  const fields: Array<[string, unknown]> = Object.entries(val);
  for (const [k, v] of fields) {
    if (v !== undefined && v !== null)
      parts.push(`${witName(k)}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** e.g. `internal-error: "boom"`, `HTTP-response-body-size (12)`, `DNS-error (rcode="x")`. */
export function describeErrorCode(code: HttpErrorCode): string {
  if (code === null || typeof code !== 'object' || typeof code.tag !== 'string') {
    return 'invalid error-code';
  }
  const payload = describePayload(code.val);
  if (payload === undefined) return code.tag;
  if (code.tag === 'internal-error' && typeof code.val === 'string') return `internal-error: ${code.val}`;
  return `${code.tag} (${payload})`;
}

/** `http-error-code(borrow<io-error>) -> option<error-code>`. */
export function httpErrorCode(err: IoError): HttpErrorCode | undefined {
  return err instanceof IoError ? err.httpCode : undefined;
}
