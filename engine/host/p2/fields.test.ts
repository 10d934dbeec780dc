/**
 * `fields` as wasmtime's FieldMap (crates/wasi-http/src/field_map.rs): which error each operation
 * returns first, the size limit, content-length values and HeaderMap order. The WASIp3 `fields`
 * runs the same code (see ../p3/fields.test.ts).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIELD_SIZE_LIMIT, NAME_OVERHEAD, VALUE_OVERHEAD } from '../http-rules.ts';
import { Fields } from './fields.ts';
import { HostTrap } from './result.ts';
import { bytes, errOf, str } from './test-support.ts';

const pairs = (f: Fields): string[] => f.entries().map(([n, v]) => `${n}=${str(v)}`);

test('errors come in wasmtime order: set is syntax, forbidden, immutable, value', () => {
  const view = Fields.view([['x-a', bytes('1')]]);
  // A bad name wins over everything, then forbidden, then immutable, then a bad value.
  assert.deepEqual(
    errOf(() => view.set('bad name', [bytes('\n')])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => view.set('Connection', [bytes('\n')])),
    { tag: 'forbidden' },
  );
  assert.deepEqual(
    errOf(() => view.set('x-a', [bytes('\n')])),
    { tag: 'immutable' },
  );
  assert.deepEqual(
    errOf(() => new Fields().set('x-a', [bytes('ok'), bytes('\n')])),
    { tag: 'invalid-syntax' },
  );
});

test('errors come in wasmtime order: append is syntax, forbidden, value, immutable', () => {
  const view = Fields.view([]);
  assert.deepEqual(
    errOf(() => view.append('bad name', bytes('\n'))),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => view.append('upgrade', bytes('\n'))),
    { tag: 'forbidden' },
  );
  // Unlike set, a bad value is found before immutability.
  assert.deepEqual(
    errOf(() => view.append('x-a', bytes('\n'))),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => view.append('x-a', bytes('fine'))),
    { tag: 'immutable' },
  );
});

test('errors come in wasmtime order: delete is syntax, forbidden, immutable; get/has never fail', () => {
  const view = Fields.view([['x-a', bytes('1')]]);
  assert.deepEqual(
    errOf(() => view.delete('bad name')),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => view.delete('Transfer-Encoding')),
    { tag: 'forbidden' },
  );
  assert.deepEqual(
    errOf(() => view.delete('x-a')),
    { tag: 'immutable' },
  );
  assert.deepEqual(
    errOf(() => view.delete('x-absent')),
    { tag: 'immutable' },
  );
  assert.deepEqual(view.get('bad name'), []);
  assert.equal(view.has(''), false);
  assert.deepEqual(view.get('X-A').map(str), ['1']);
});

test("every one of wasmtime's nine forbidden headers is refused, in any case", () => {
  for (const name of [
    'connection',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'proxy-connection',
    'transfer-encoding',
    'upgrade',
    'host',
    'http2-settings',
  ]) {
    assert.deepEqual(
      errOf(() => new Fields().append(name.toUpperCase(), bytes('x'))),
      { tag: 'forbidden' },
      name,
    );
    assert.deepEqual(
      errOf(() => Fields.fromList([[name, bytes('x')]])),
      { tag: 'forbidden' },
      name,
    );
  }
  // Other hop-by-hop headers are not on the list (wasmtime lets them through).
  for (const name of ['te', 'trailer', 'proxy-foo']) new Fields().append(name, bytes('x'));
});

test('names: tokens of 1 to 65535 bytes, lowercased; values: no controls but HTAB', () => {
  const f = new Fields();
  f.append('X-Custom', bytes('v'));
  assert.deepEqual(
    f.entries().map(([n]) => n),
    ['x-custom'],
  );
  assert.deepEqual(
    errOf(() => f.append('', bytes('v'))),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => f.append('a:b', bytes('v'))),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => f.append('é', bytes('v'))),
    { tag: 'invalid-syntax' },
  );
  f.append('x'.repeat(65535), bytes(''));
  assert.deepEqual(
    errOf(() => f.append('x'.repeat(65536), bytes(''))),
    { tag: 'invalid-syntax' },
  );
  f.append('x-obs', Uint8Array.of(0x09, 0x80, 0xff, 0x20));
  for (const b of [0x00, 0x0a, 0x0d, 0x1f, 0x7f])
    assert.deepEqual(
      errOf(() => f.append('x-bad', Uint8Array.of(0x61, b))),
      { tag: 'invalid-syntax' },
    );
});

test('content-length must be 1*DIGIT within a u64, and is stored as that number', () => {
  const f = new Fields();
  f.set('Content-Length', [bytes('007')]);
  assert.deepEqual(f.get('content-length').map(str), ['7']);
  f.set('content-length', [bytes('18446744073709551615')]);
  for (const bad of ['', '+5', '-5', ' 5', '5 ', '0x10', '18446744073709551616']) {
    assert.deepEqual(
      errOf(() => f.append('content-length', bytes(bad))),
      { tag: 'invalid-syntax' },
      JSON.stringify(bad),
    );
  }
  // Other names keep their value as given.
  f.set('x-length', [bytes(' 007 ')]);
  assert.deepEqual(f.get('x-length').map(str), [' 007 ']);
});

test("order is an http::HeaderMap's: grouped by name, set in place, delete swaps the last name in", () => {
  const f = new Fields();
  for (const [n, v] of [
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
    ['a', '4'],
    ['d', '5'],
    ['d', '6'],
  ] as const)
    f.append(n, bytes(v));
  assert.deepEqual(pairs(f), ['a=1', 'a=4', 'b=2', 'c=3', 'd=5', 'd=6']);
  f.set('b', [bytes('7'), bytes('8')]);
  assert.deepEqual(pairs(f), ['a=1', 'a=4', 'b=7', 'b=8', 'c=3', 'd=5', 'd=6']);
  f.delete('a');
  assert.deepEqual(pairs(f), ['d=5', 'd=6', 'b=7', 'b=8', 'c=3']);
  f.set('b', []);
  assert.deepEqual(pairs(f), ['d=5', 'd=6', 'c=3']);
  f.delete('c');
  assert.deepEqual(pairs(f), ['d=5', 'd=6']);
  f.set('e', []);
  assert.deepEqual(pairs(f), ['d=5', 'd=6'], 'set with no values on an absent name does nothing');
  assert.deepEqual(
    pairs(
      Fields.fromList([
        ['x', bytes('1')],
        ['y', bytes('2')],
        ['X', bytes('3')],
      ]),
    ),
    ['x=1', 'x=3', 'y=2'],
  );
});

test('size: 128 KiB per mutable map, counted as wasmtime counts it; past it WASIp2 traps', () => {
  const f = new Fields();
  // Each new name costs its length + 32, each value its length + 40 (`a0`..: 2-5 bytes + 72).
  let added = 0;
  let size = 0;
  for (;;) {
    const name = `a${added}`;
    const cost = name.length + NAME_OVERHEAD + 1 + VALUE_OVERHEAD;
    if (size + cost > FIELD_SIZE_LIMIT) {
      assert.throws(
        () => f.append(name, bytes('a')),
        (e: unknown) => e instanceof HostTrap && /total size of fields exceeds limit/.test(e.message),
      );
      break;
    }
    f.append(name, bytes('a'));
    size += cost;
    added++;
  }
  assert.equal(f.entries().length, added, 'a refused append changes nothing');
  // Deleting makes room again.
  f.delete('a0');
  f.append('a0', bytes('a'));
  // An empty value still counts (wasmtime's p2-append-same-empty ends in the trap too).
  const same = new Fields();
  let values = 0;
  assert.throws(() => {
    for (;;) {
      same.append('a', new Uint8Array(0));
      values++;
    }
  }, HostTrap);
  assert.equal(values, Math.floor((FIELD_SIZE_LIMIT - 1 - NAME_OVERHEAD) / VALUE_OVERHEAD));
  // from-list appends, so it is bounded too; set counts the values it replaces.
  assert.throws(
    () => Fields.fromList(Array.from({ length: 2000 }, (_, i): [string, Uint8Array] => [`h${i}`, bytes('v')])),
    HostTrap,
  );
  const g = new Fields();
  const fill = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);
  g.set('x', [fill(FIELD_SIZE_LIMIT - 1 - NAME_OVERHEAD - VALUE_OVERHEAD)]);
  g.set('x', [fill(FIELD_SIZE_LIMIT - 1 - NAME_OVERHEAD - VALUE_OVERHEAD)]);
  assert.throws(() => g.set('x', [fill(FIELD_SIZE_LIMIT - NAME_OVERHEAD - VALUE_OVERHEAD)]), HostTrap);
  assert.equal(
    g.get('x')[0]?.length,
    FIELD_SIZE_LIMIT - 1 - NAME_OVERHEAD - VALUE_OVERHEAD,
    'a refused set changes nothing',
  );
});

test('size: host-made maps have no limit, and their clone starts over it and may only shrink', () => {
  const big: Array<[string, Uint8Array]> = [
    ['x-big', new Uint8Array(FIELD_SIZE_LIMIT)],
    ['x-small', bytes('1')],
  ];
  const view = Fields.view(big);
  const copy = view.clone();
  assert.throws(() => copy.append('x-more', bytes('1')), HostTrap);
  copy.delete('x-small');
  copy.delete('x-big');
  copy.append('x-more', bytes('1'));
  assert.deepEqual(pairs(copy), ['x-more=1']);
  assert.equal(view.entries().length, 2, 'the original is untouched');
});

test('clone: mutable, independent, same order', () => {
  const f = Fields.fromList([
    ['a', bytes('1')],
    ['b', bytes('2')],
  ]);
  const c = f.clone();
  c.append('a', bytes('3'));
  assert.deepEqual(pairs(c), ['a=1', 'a=3', 'b=2']);
  assert.deepEqual(pairs(f), ['a=1', 'b=2']);
});
