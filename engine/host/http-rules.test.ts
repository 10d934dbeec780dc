/** The shared header rules (http-rules.ts): the lists the host hands to guests of both worlds. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORBIDDEN_HEADERS, fieldsSize, parseValue, withoutForbidden, type FieldList } from './http-rules.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const list = (...pairs: Array<[string, string]>): FieldList => pairs.map(([n, v]) => [n, enc.encode(v)]);
const show = (l: FieldList): string[] => l.map(([n, v]) => `${n}=${dec.decode(v)}`);

test("the forbidden list is wasmtime's DEFAULT_FORBIDDEN_HEADERS, no more, no less", () => {
  assert.deepEqual([...FORBIDDEN_HEADERS].sort(), [
    'connection',
    'host',
    'http2-settings',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'proxy-connection',
    'transfer-encoding',
    'upgrade',
  ]);
});

test("withoutForbidden: lowercased, forbidden removed, a HeaderMap's order (values of a name together)", () => {
  const raw = list(
    ['Host', 'example.com'],
    ['Connection', 'keep-alive, x-foo'],
    ['X-Foo', 'bar'],
    ['Keep-Alive', 'timeout=5'],
    ['Accept', 'a'],
    ['Proxy-Connection', 'keep-alive'],
    ['Upgrade', 'h2c'],
    ['HTTP2-Settings', 'AAMAAABkAAQAoAAAAAIAAAAA'],
    ['Transfer-Encoding', 'chunked'],
    ['Proxy-Authorization', 'Basic x'],
    ['Proxy-Authenticate', 'Basic'],
    ['x-foo', 'baz'],
    ['TE', 'trailers'],
    ['Trailer', 'x-checksum'],
  );
  // Headers named in Connection are not removed: wasmtime removes only its list.
  assert.deepEqual(show(withoutForbidden(raw)), [
    'x-foo=bar',
    'x-foo=baz',
    'accept=a',
    'te=trailers',
    'trailer=x-checksum',
  ]);
});

test('withoutForbidden returns a list that already qualifies as is (no copy per request)', () => {
  const clean = list(['accept', '*/*'], ['x-a', '1'], ['x-a', '2'], ['user-agent', 'u']);
  assert.equal(withoutForbidden(clean), clean);
  const scattered = list(['x-a', '1'], ['accept', '*/*'], ['x-a', '2']);
  assert.notEqual(withoutForbidden(scattered), scattered);
  assert.deepEqual(show(withoutForbidden(scattered)), ['x-a=1', 'x-a=2', 'accept=*/*']);
  assert.deepEqual(show(scattered), ['x-a=1', 'accept=*/*', 'x-a=2'], 'the input is not changed');
});

test('parseValue: content-length is a u64 in canonical form; other values are checked bytes', () => {
  assert.equal(dec.decode(parseValue('content-length', enc.encode('0042'))), '42');
  assert.equal(parseValue('content-length', enc.encode('4 2')), undefined);
  assert.equal(parseValue('content-length', enc.encode('')), undefined);
  const value = enc.encode('anything\tgoes');
  assert.equal(parseValue('x-a', value), value);
  assert.equal(parseValue('x-a', Uint8Array.of(0x0a)), undefined);
});

test("fieldsSize counts a name once and every value, with wasmtime's overheads", () => {
  assert.equal(
    fieldsSize(list(['ab', 'xyz'], ['ab', ''], ['c', 'd'])),
    2 + 32 + (3 + 40) + (0 + 40) + (1 + 32) + (1 + 40),
  );
});
