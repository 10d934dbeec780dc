/** Which response trailers reach the client: hyper 1.9's HTTP/1 server rules (trailers.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptsTrailers, canChunk, declaredTrailers, trailersToSend } from './trailers.ts';

const enc = new TextEncoder();
const pairs = (...list: Array<[string, string]>): Array<[string, Uint8Array]> =>
  list.map(([n, v]) => [n, enc.encode(v)]);

test('the request takes trailers only if its first TE header is exactly "trailers"', () => {
  assert.equal(acceptsTrailers(['Host', 'x', 'TE', 'trailers']), true);
  assert.equal(acceptsTrailers(['te', 'trailers, deflate']), false);
  assert.equal(acceptsTrailers(['te', 'Trailers']), false);
  assert.equal(acceptsTrailers(['te', 'gzip', 'te', 'trailers']), false);
  assert.equal(acceptsTrailers(['host', 'x']), false);
});

test('declared names come from every Trailer header, comma-separated, lowercased', () => {
  assert.equal(declaredTrailers(pairs(['x-a', '1'])), null);
  assert.deepEqual([...declaredTrailers(pairs(['trailer', 'X-One, x-two ,bad name']))!], ['x-one', 'x-two']);
  assert.deepEqual([...declaredTrailers(pairs(['trailer', 'x-one'], ['trailer', 'x-three']))!], ['x-one', 'x-three']);
});

test('only declared names that may be trailers are sent, the last value of each', () => {
  const declared = new Set(['x-sum', 'content-type', 'set-cookie', 'x-twice']);
  const sent = trailersToSend(
    declared,
    pairs(
      ['x-sum', 'abc'],
      ['x-undeclared', '1'],
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=b'],
      ['x-twice', '1'],
      ['x-twice', '2'],
    ),
  );
  assert.deepEqual(sent, [
    ['x-sum', 'abc'],
    ['x-twice', '2'],
  ]);
});

test('a chunked body (and so trailers) needs HTTP/1.1, a method and a status that allow one', () => {
  const get = { method: 'GET', httpVersion: '1.1' };
  assert.equal(canChunk(get, 200), true);
  for (const status of [101, 204, 304]) assert.equal(canChunk(get, status), false, String(status));
  assert.equal(canChunk({ method: 'HEAD', httpVersion: '1.1' }, 200), false);
  assert.equal(canChunk({ method: 'GET', httpVersion: '1.0' }, 200), false);
  assert.equal(canChunk({ method: 'CONNECT', httpVersion: '1.1' }, 200), false);
  assert.equal(canChunk({ method: 'CONNECT', httpVersion: '1.1' }, 407), true);
});
