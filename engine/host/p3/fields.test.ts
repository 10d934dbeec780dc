/**
 * preview3-shim's `Fields`, the class WASIp3 guests get, once fields.ts has given it wasmtime's
 * rules: called the way the transpiled glue calls it (methods on shim objects, results as thrown
 * `payload`s).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIELD_SIZE_LIMIT } from '../http-rules.ts';
import { errOf } from '../p2/test-support.ts';
import { fieldList, hostFields, readableFieldList } from './fields.ts';
import { httpTypes } from './imports.ts';

interface ShimFields {
  get(name: string): Uint8Array[];
  has(name: string): boolean;
  set(name: string, values: Uint8Array[]): void;
  delete(name: string): void;
  getAndDelete(name: string): Uint8Array[];
  append(name: string, value: Uint8Array): void;
  copyAll(): Array<[string, Uint8Array]>;
  clone(): ShimFields;
}
const Fields = httpTypes.Fields as unknown as (new () => ShimFields) & {
  fromList(entries: Array<[string, Uint8Array]>): ShimFields;
};

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);
const pairs = (f: ShimFields): string[] => f.copyAll().map(([n, v]) => `${n}=${dec.decode(v)}`);

test("the guest's own fields: lowercased names, a HeaderMap's order, forbidden refused", () => {
  const f = new Fields();
  f.append('X-B', b('1'));
  f.append('x-a', b('2'));
  f.append('x-b', b('3'));
  assert.deepEqual(pairs(f), ['x-b=1', 'x-b=3', 'x-a=2']);
  assert.deepEqual(
    f.get('X-B').map((v) => dec.decode(v)),
    ['1', '3'],
  );
  assert.equal(f.has('X-A'), true);
  for (const name of [
    'Connection',
    'keep-alive',
    'Host',
    'transfer-encoding',
    'upgrade',
    'proxy-connection',
    'http2-settings',
    'proxy-authorization',
    'proxy-authenticate',
  ]) {
    assert.deepEqual(
      errOf(() => f.append(name, b('x'))),
      { tag: 'forbidden' },
      name,
    );
  }
  assert.deepEqual(
    errOf(() =>
      Fields.fromList([
        ['x-ok', b('1')],
        ['Upgrade', b('h2c')],
      ]),
    ),
    { tag: 'forbidden' },
  );
  assert.deepEqual(
    f.getAndDelete('x-b').map((v) => dec.decode(v)),
    ['1', '3'],
  );
  assert.deepEqual(pairs(f), ['x-a=2']);
});

test("errors in wasmtime's order, not the shim's (which checks immutability first)", () => {
  const locked = hostFields([['x-a', b('1')]]) as ShimFields;
  assert.deepEqual(
    errOf(() => locked.set('bad name', [b('v')])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => locked.set('connection', [b('v')])),
    { tag: 'forbidden' },
  );
  assert.deepEqual(
    errOf(() => locked.set('x-a', [b('\n')])),
    { tag: 'immutable' },
  );
  assert.deepEqual(
    errOf(() => locked.append('x-a', b('\n'))),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => locked.append('x-a', b('v'))),
    { tag: 'immutable' },
  );
  assert.deepEqual(
    errOf(() => locked.delete('host')),
    { tag: 'forbidden' },
  );
  assert.deepEqual(
    errOf(() => locked.getAndDelete('x-a')),
    { tag: 'immutable' },
  );
  // A clone is mutable.
  const copy = locked.clone();
  copy.append('x-b', b('2'));
  assert.deepEqual(pairs(copy), ['x-a=1', 'x-b=2']);
  assert.deepEqual(pairs(locked), ['x-a=1']);
});

test('host-made fields drop forbidden headers and are immutable (FieldMap::new_immutable)', () => {
  const fields = hostFields([
    ['Host', b('h')],
    ['Connection', b('keep-alive')],
    ['X-Up', b('1')],
    ['Transfer-Encoding', b('chunked')],
  ]) as ShimFields;
  assert.deepEqual(pairs(fields), ['x-up=1']);
  assert.deepEqual(
    fieldList(fields).map(([n]) => n),
    ['x-up'],
  );
  assert.deepEqual(
    errOf(() => fields.append('x-more', b('1'))),
    { tag: 'immutable' },
  );
});

test("readableFieldList: a real fields' entries; nothing for a stand-in the glue made without state", () => {
  const real = Fields.fromList([['X-A', b('1')]]);
  assert.deepEqual(
    readableFieldList(real)?.map(([n]) => n),
    ['x-a'],
  );
  assert.deepEqual(readableFieldList(new Fields()), []);
  assert.equal(readableFieldList(Object.create(Fields.prototype)), undefined);
  assert.equal(readableFieldList({ tag: 'ok' }), undefined);
});

test('size: past 128 KiB a WASIp3 map answers size-exceeded (it does not trap)', () => {
  const f = new Fields();
  let error: unknown;
  for (let i = 0; i < 10_000 && error === undefined; i++) error = errOfOrNothing(() => f.append(`a${i}`, b('a')));
  assert.deepEqual(error, { tag: 'size-exceeded' });
  const big = new Uint8Array(FIELD_SIZE_LIMIT).fill(0x61);
  assert.deepEqual(
    errOf(() => Fields.fromList([['x-big', big]])),
    { tag: 'size-exceeded' },
  );
});

function errOfOrNothing(fn: () => void): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { payload: unknown }).payload;
  }
}
