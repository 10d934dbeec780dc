/**
 * wasi:http/types.fields (headers and trailers), with wasmtime's rules:
 * - names must be RFC 9110 tokens and are stored lowercased; values may hold any byte except
 *   controls other than HTAB (obs-text is allowed), else `invalid-syntax`;
 * - hop-by-hop and routing headers are `forbidden`;
 * - fields from `new`/`from-list`/`clone` are mutable; the fields of a request or response
 *   (returned by its `headers()`) are views and reject mutation with `immutable`. Checks run in
 *   wasmtime's order: syntax, then forbidden, then immutable.
 *
 * Storage is an insertion-ordered list of `[name, value]` pairs: header counts are small, so a
 * linear scan beats maintaining a map, and `entries()` can return the list itself.
 */

import { fail } from './result.ts';

export type FieldList = Array<[name: string, value: Uint8Array]>;

export type HeaderError = 'invalid-syntax' | 'forbidden' | 'immutable';

export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UPPERCASE = /[A-Z]/;

/** wasmtime's default forbidden headers (connection-specific or owned by the host). */
const FORBIDDEN = new Set([
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

const HEADER_ERRORS: Record<HeaderError, { tag: HeaderError }> = {
  'invalid-syntax': Object.freeze({ tag: 'invalid-syntax' }),
  forbidden: Object.freeze({ tag: 'forbidden' }),
  immutable: Object.freeze({ tag: 'immutable' }),
};

/** Whether a (lowercased) name is one the guest may neither see nor set. */
export function isForbidden(lowerName: string): boolean {
  return FORBIDDEN.has(lowerName);
}

function failHeader(error: HeaderError): never {
  fail(HEADER_ERRORS[error]);
}

/** The lowercased name, or undefined if it is not a valid field name. */
export function normalizeName(name: string): string | undefined {
  if (!TOKEN.test(name)) return undefined;
  return UPPERCASE.test(name) ? name.toLowerCase() : name;
}

export function isValidValue(value: Uint8Array): boolean {
  for (let i = 0; i < value.length; i++) {
    const b = value[i] as number;
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) return false;
  }
  return true;
}

/** Validates a name for a mutation; returns it lowercased. */
function checkedName(name: string): string {
  const lower = normalizeName(name);
  if (lower === undefined) failHeader('invalid-syntax');
  if (FORBIDDEN.has(lower)) failHeader('forbidden');
  return lower;
}

export class Fields {
  /** The pairs, in order. A mutable instance owns its list; views share their owner's. */
  list: FieldList;
  mutable: boolean;

  /** The glue calls `new Fields()` for the WIT constructor: empty and mutable. */
  constructor(list: FieldList = [], mutable = true) {
    this.list = list;
    this.mutable = mutable;
  }

  /** An immutable view over a request's or response's fields. */
  static view(list: FieldList): Fields {
    return new Fields(list, false);
  }

  static fromList(entries: Array<[string, Uint8Array]>): Fields {
    const list: FieldList = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [name, value] = entries[i] as [string, Uint8Array];
      const lower = checkedName(name);
      if (!isValidValue(value)) failHeader('invalid-syntax');
      list[i] = [lower, value];
    }
    return new Fields(list);
  }

  /** Moves these fields into a request/response, which then owns the list: a mutable instance is
   * consumed (the guest passed ownership), a view is copied, as in wasmtime. */
  take(): FieldList {
    if (!this.mutable) return this.list.slice();
    this.mutable = false;
    return this.list;
  }

  get(name: string): Uint8Array[] {
    const values: Uint8Array[] = [];
    const lower = normalizeName(name);
    if (lower === undefined) return values;
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i] as [string, Uint8Array];
      if (entry[0] === lower) values.push(entry[1]);
    }
    return values;
  }

  has(name: string): boolean {
    const lower = normalizeName(name);
    if (lower === undefined) return false;
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      if ((list[i] as [string, Uint8Array])[0] === lower) return true;
    }
    return false;
  }

  set(name: string, values: Uint8Array[]): void {
    const lower = checkedName(name);
    for (const v of values) if (!isValidValue(v)) failHeader('invalid-syntax');
    if (!this.mutable) failHeader('immutable');
    this.removeAll(lower);
    for (const v of values) this.list.push([lower, v]);
  }

  delete(name: string): void {
    const lower = checkedName(name);
    if (!this.mutable) failHeader('immutable');
    this.removeAll(lower);
  }

  append(name: string, value: Uint8Array): void {
    const lower = checkedName(name);
    if (!isValidValue(value)) failHeader('invalid-syntax');
    if (!this.mutable) failHeader('immutable');
    this.list.push([lower, value]);
  }

  entries(): FieldList {
    // The glue only reads the returned list, so no copy is needed.
    return this.list;
  }

  clone(): Fields {
    return new Fields(this.list.slice());
  }

  private removeAll(lower: string): void {
    const list = this.list;
    let j = 0;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i] as [string, Uint8Array];
      if (entry[0] !== lower) list[j++] = entry;
    }
    list.length = j;
  }
}
