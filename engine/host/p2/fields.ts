/**
 * wasi:http/types.fields (headers and trailers): wasmtime's `FieldMap` (crates/wasi-http/src/
 * field_map.rs) with the rules of `../http-rules.ts`.
 *
 * - `fields` from the constructor, `from-list` and `clone` are mutable, up to FIELD_SIZE_LIMIT
 *   bytes (`FieldMap::new_mutable`, `set_mutable`); the fields of a request or response (what
 *   `headers()` returns) and the trailers the host hands over are immutable views.
 * - Each operation checks in wasmtime's order (field_map.rs):
 *   `set`: name syntax, forbidden, immutable, value syntax, size;
 *   `append` (and `from-list`, which appends each entry): name syntax, forbidden, value syntax,
 *   immutable, size;
 *   `delete` (and p3's `get-and-delete`): name syntax, forbidden, immutable.
 *   Syntax errors are `invalid-syntax`; a size overflow traps in WASIp2 (`HeaderError::trap` in
 *   p2/error.rs) and is `size-exceeded` in WASIp3 (see `tooLarge`).
 * - `get`/`has` with an invalid name find nothing.
 * - The order is an `http::HeaderMap`'s: entries grouped by name, a new name at the end, a value
 *   appended after the others of its name, `set` replacing a name in place, and `delete` moving
 *   the last name into the deleted one's place (`HeaderMap::remove` uses `swap_remove`).
 *
 * Storage is the flat list of `[name, value]` pairs in that order (values of one name are
 * adjacent): header counts are small, so a linear scan beats a map, and `entries()` can return
 * the list itself.
 */

import {
  FIELD_SIZE_LIMIT,
  fieldsSize,
  isForbidden,
  isValidValue,
  nameSize,
  normalizeName,
  parseValue,
  TOKEN,
  valueSize,
  type FieldList,
} from '../http-rules.ts';
import { fail, HostTrap } from './result.ts';

export { isForbidden, isValidValue, normalizeName, TOKEN, type FieldList };

export type HeaderError = 'invalid-syntax' | 'forbidden' | 'immutable';

const HEADER_ERRORS: Record<HeaderError, { tag: HeaderError }> = {
  'invalid-syntax': Object.freeze({ tag: 'invalid-syntax' }),
  forbidden: Object.freeze({ tag: 'forbidden' }),
  immutable: Object.freeze({ tag: 'immutable' }),
};

function failHeader(error: HeaderError): never {
  fail(HEADER_ERRORS[error]);
}

/** Name syntax, then forbidden: the first two checks of every mutation. Returns it lowercased. */
function checkedName(name: string): string {
  const lower = normalizeName(name);
  if (lower === undefined) failHeader('invalid-syntax');
  if (isForbidden(lower)) failHeader('forbidden');
  return lower;
}

function checkedValue(lower: string, value: Uint8Array): Uint8Array {
  const parsed = parseValue(lower, value);
  if (parsed === undefined) failHeader('invalid-syntax');
  return parsed;
}

/** The pair at `i` of a list. */
function entryAt(list: FieldList, i: number): [string, Uint8Array] {
  // Every caller indexes within [0, list.length) of a dense list (a loop bound or `#run`'s
  // range), which noUncheckedIndexedAccess cannot see.
  return list[i] as [string, Uint8Array];
}

export class Fields {
  /** The pairs, in HeaderMap order. A mutable instance owns its list; views share their owner's. */
  list: FieldList;
  mutable: boolean;
  /** Bytes held as wasmtime counts them; computed when first needed (-1 until then). */
  #size = -1;

  /** The glue calls `new Fields()` for the WIT constructor: empty and mutable. The list must be
   * in HeaderMap order (host lists: see `withoutForbidden`). */
  constructor(list: FieldList = [], mutable = true) {
    this.list = list;
    this.mutable = mutable;
  }

  /** An immutable view over a request's or response's fields, or over trailers the host made. */
  static view(list: FieldList): Fields {
    return new Fields(list, false);
  }

  /** `from-list`: a new mutable map, each entry appended in turn. */
  static fromList(entries: Array<[string, Uint8Array]>): Fields {
    // The WASIp3 subclass (p3/fields.ts) builds its own kind.
    const Kind = typeof this === 'function' ? this : Fields;
    const fields = new Kind();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
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
    for (const [entryName, value] of this.list) if (entryName === lower) values.push(value);
    return values;
  }

  has(name: string): boolean {
    const lower = normalizeName(name);
    if (lower === undefined) return false;
    for (const [entryName] of this.list) if (entryName === lower) return true;
    return false;
  }

  /** `FieldMap::set`: replaces the name's values in place; no values removes it. */
  set(name: string, values: Uint8Array[]): void {
    const lower = checkedName(name);
    if (!this.mutable) failHeader('immutable');
    const parsed = values.map((value) => checkedValue(lower, value));
    let added = 0;
    for (const value of parsed) added += valueSize(value);
    const [start, end] = this.#run(lower);
    const size = this.#currentSize();
    let removed = 0;
    for (let i = start; i < end; i++) removed += valueSize(entryAt(this.list, i)[1]);
    if (start === end) {
      // Vacant: nothing to do without values.
      if (parsed.length === 0) return;
      const next = size + added + nameSize(lower);
      if (next > FIELD_SIZE_LIMIT) this.tooLarge();
      this.#size = next;
      for (const value of parsed) this.list.push([lower, value]);
      return;
    }
    if (parsed.length === 0) {
      const next = size - removed - nameSize(lower);
      if (next > FIELD_SIZE_LIMIT) this.tooLarge();
      this.#size = next;
      this.#removeRun(start, end);
      return;
    }
    const next = size - removed + added;
    if (next > FIELD_SIZE_LIMIT) this.tooLarge();
    this.#size = next;
    this.list.splice(start, end - start, ...parsed.map((value): [string, Uint8Array] => [lower, value]));
  }

  /** `FieldMap::remove_all`. */
  delete(name: string): void {
    this.getAndDelete(name);
  }

  /** `FieldMap::remove_all`, returning what was removed (WASIp3's `get-and-delete`). */
  getAndDelete(name: string): Uint8Array[] {
    const lower = checkedName(name);
    if (!this.mutable) failHeader('immutable');
    const [start, end] = this.#run(lower);
    if (start === end) return [];
    const removed: Uint8Array[] = [];
    let bytes = nameSize(lower);
    for (let i = start; i < end; i++) {
      const value = entryAt(this.list, i)[1];
      removed.push(value);
      bytes += valueSize(value);
    }
    this.#size = this.#currentSize() - bytes;
    this.#removeRun(start, end);
    return removed;
  }

  /** `FieldMap::append`: after the name's other values, or a new name at the end. */
  append(name: string, value: Uint8Array): void {
    const lower = checkedName(name);
    const parsed = checkedValue(lower, value);
    if (!this.mutable) failHeader('immutable');
    const [start, end] = this.#run(lower);
    const next = this.#currentSize() + valueSize(parsed) + (start === end ? nameSize(lower) : 0);
    if (next > FIELD_SIZE_LIMIT) this.tooLarge();
    this.#size = next;
    if (end === this.list.length) this.list.push([lower, parsed]);
    else this.list.splice(end, 0, [lower, parsed]);
  }

  entries(): FieldList {
    // The glue only reads the returned list, so no copy is needed.
    return this.list;
  }

  /** A mutable copy (`set_mutable`): it may start over the size limit, and then only shrink. */
  clone(): Fields {
    // A subclass (p3/fields.ts) keeps this constructor's signature, so `this.constructor` is one.
    const copy = new (this.constructor as typeof Fields)(this.list.slice());
    copy.#size = this.#size;
    return copy;
  }

  /** The map would exceed FIELD_SIZE_LIMIT. WASIp2 traps, as wasmtime's `From<FieldMapError> for
   * HeaderError` (p2/error.rs) makes `TotalSizeTooBig` a trap; the WASIp3 subclass overrides it. */
  protected tooLarge(): never {
    throw new HostTrap('total size of fields exceeds limit');
  }

  #currentSize(): number {
    if (this.#size < 0) this.#size = fieldsSize(this.list);
    return this.#size;
  }

  /** Where the values of `lower` are: [start, end), empty at the end if it has none. */
  #run(lower: string): [number, number] {
    const list = this.list;
    let start = 0;
    while (start < list.length && entryAt(list, start)[0] !== lower) start++;
    if (start === list.length) return [start, start];
    let end = start + 1;
    while (end < list.length && entryAt(list, end)[0] === lower) end++;
    return [start, end];
  }

  /** Removes a name as `HeaderMap::remove` does: the last name takes the removed one's place. */
  #removeRun(start: number, end: number): void {
    const list = this.list;
    if (end === list.length) {
      list.length = start;
      return;
    }
    const lastName = entryAt(list, list.length - 1)[0];
    let lastStart = list.length - 1;
    while (lastStart > end && entryAt(list, lastStart - 1)[0] === lastName) lastStart--;
    const last = list.splice(lastStart);
    list.splice(start, end - start, ...last);
  }
}
