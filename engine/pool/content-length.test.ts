import assert from 'node:assert/strict';
import { test } from 'node:test';
import { declaredContentLength } from './content-length.ts';

const field = (name: string, value: string): [string, Uint8Array] => [name, new TextEncoder().encode(value)];

test('the declared length of a response head', () => {
  assert.equal(declaredContentLength([field('content-type', 'text/plain'), field('content-length', '12')]), 12);
  assert.equal(declaredContentLength([field('content-length', '0')]), 0);
  assert.equal(declaredContentLength([field('content-length', '5'), field('content-length', '5')]), 5);
});

test('no usable declared length: none, differing repeats, not digits, too large to count', () => {
  assert.equal(declaredContentLength([field('content-type', 'text/plain')]), null);
  assert.equal(declaredContentLength([field('content-length', '5'), field('content-length', '6')]), null);
  assert.equal(declaredContentLength([field('content-length', '-1')]), null);
  assert.equal(declaredContentLength([field('content-length', '99999999999999999999')]), null);
});
