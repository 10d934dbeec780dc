/**
 * wasmtime's `fields` rules for WASIp3 guests.
 *
 * A WASIp3 guest's `wasi:http/types@0.3` classes are preview3-shim's (see imports.ts: the glue
 * checks `instanceof` against them, and the shim's `Request`/`Response` only accept its own
 * `Fields`). The shim's `Fields` differs from wasmtime: it checks immutability before syntax,
 * keeps names as the guest spelled them, has no size limit, and orders entries by insertion.
 * Importing this module (once per thread, before any guest runs: thread/p3-http.ts does) gives
 * every shim `Fields` wasmtime's behaviour instead: its methods read and write a `FieldMap` of
 * ours (p2/fields.ts, the same code the WASIp2 host runs), one per shim object, so the two
 * worlds cannot drift apart. The only WASIp3 difference is a size overflow, which is the
 * `size-exceeded` header error here (`From<FieldMapError> for HeaderError`, p3/mod.rs) where
 * WASIp2 traps.
 *
 * Maps the host creates go through `hostFields` (and the shim's own `_fromEntriesChecked`, which
 * it uses for an upstream response's headers and trailers): `withoutForbidden`, immutable, as
 * wasmtime's `FieldMap::new_immutable`.
 */

import * as shimHttp from '@bytecodealliance/preview3-shim/http';
import { withoutForbidden, type FieldList, type ReadonlyFieldList } from '../http-rules.ts';
import { Fields as FieldMap } from '../p2/fields.ts';
import { fail } from '../p2/result.ts';

const SIZE_EXCEEDED = Object.freeze({ tag: 'size-exceeded' });

/** A WASIp3 `fields`' state: wasmtime's FieldMap, with WASIp3's size error. */
class P3FieldMap extends FieldMap {
  protected override tooLarge(): never {
    fail(SIZE_EXCEEDED);
  }
}

/** The shim's `Fields` class, as far as we touch it. */
interface ShimFieldsClass {
  new (): object;
  readonly prototype: object;
  fromList(entries: Array<[string, Uint8Array]>): object;
  _lock(fields: object): object;
  _fromEntriesChecked(entries: ReadonlyFieldList): object;
}

// The package's typings are its browser build's; in Node its `types.Fields` is the Node build's
// class, which has the ShimFieldsClass members (imports.ts reads the same module the same way).
const ShimFields = (shimHttp as unknown as { types: { Fields: ShimFieldsClass } }).types.Fields;

/** Each shim object's map. */
const maps = new WeakMap<object, P3FieldMap>();

// Read before the Object.assign below replaces it: the shim's own copyAll, over its own storage.
const shimCopyAll = (ShimFields.prototype as { copyAll(this: object): Array<[string, Uint8Array]> }).copyAll;
const shimLock = ShimFields._lock.bind(ShimFields);

/** The map behind a shim `Fields`. One the guest made with the constructor has none yet: it
 * starts from what the shim holds (nothing). */
function mapOf(fields: object): P3FieldMap {
  let map = maps.get(fields);
  if (map === undefined) {
    map = new P3FieldMap(withoutForbidden(shimCopyAll.call(fields)).slice());
    maps.set(fields, map);
  }
  return map;
}

function wrap(map: P3FieldMap, lock: boolean): object {
  const fields = new ShimFields();
  maps.set(fields, map);
  // The shim keeps its own immutability flag too (its Request/Response lock the headers they take).
  if (lock) ShimFields._lock(fields);
  return fields;
}

/** An immutable `fields` for a list the host hands a WASIp3 guest (request headers and
 * trailers, upstream response headers and trailers): `FieldMap::new_immutable`. */
export function hostFields(list: ReadonlyFieldList): object {
  return ShimFields._fromEntriesChecked(list);
}

/**
 * The entries (in wasmtime's order, what `copy-all` returns) of a `fields` the glue handed the
 * host, or undefined if it is not one the host can read. That happens with jco 1.35: a `fields`
 * the guest made itself and writes into a future (the response's trailers) is lifted from the
 * wrong handle table (`handleTable7`, another component's, instead of the guest's), misses the
 * glue's table of host objects, and arrives as a stand-in (`Object.create(Fields.prototype)`)
 * with no state behind it. Host-made fields passed back (p3-http-echo's trailers) are fine.
 */
export function readableFieldList(value: unknown): FieldList | undefined {
  if (!(value instanceof ShimFields)) return undefined;
  if (!maps.has(value)) {
    try {
      shimCopyAll.call(value);
    } catch {
      return undefined; // a stand-in: the shim's private state is not there
    }
  }
  return mapOf(value).list;
}

/** A shim `Fields`' entries, in wasmtime's order (what `copy-all` returns). */
export function fieldList(fields: object): FieldList {
  return mapOf(fields).list;
}

Object.assign(ShimFields.prototype, {
  get(this: object, name: string) {
    return mapOf(this).get(name);
  },
  has(this: object, name: string) {
    return mapOf(this).has(name);
  },
  set(this: object, name: string, values: Uint8Array[]) {
    mapOf(this).set(name, values);
  },
  delete(this: object, name: string) {
    mapOf(this).delete(name);
  },
  getAndDelete(this: object, name: string) {
    return mapOf(this).getAndDelete(name);
  },
  append(this: object, name: string, value: Uint8Array) {
    mapOf(this).append(name, value);
  },
  copyAll(this: object) {
    return mapOf(this).list.slice();
  },
  /** A mutable copy (wasmtime's `clone` + `set_mutable`). */
  clone(this: object) {
    // Fields.clone builds `this.constructor`'s kind (p2/fields.ts): a P3FieldMap here.
    return wrap(mapOf(this).clone() as P3FieldMap, false);
  },
});

Object.assign(ShimFields, {
  /** `from-list`: a new mutable map, each entry appended (its errors are `from-list`'s). */
  fromList(entries: Array<[string, Uint8Array]>) {
    // Fields.fromList builds `this`'s kind (p2/fields.ts): a P3FieldMap here.
    return wrap(P3FieldMap.fromList(entries) as P3FieldMap, false);
  },
  _lock(fields: object) {
    mapOf(fields).mutable = false;
    return shimLock(fields);
  },
  /** Every remaining caller of this (the shim's client and server) makes a map for the guest out
   * of received headers or trailers: `FieldMap::new_immutable`. */
  _fromEntriesChecked(entries: ReadonlyFieldList) {
    return wrap(new P3FieldMap(withoutForbidden(entries), false), true);
  },
});
