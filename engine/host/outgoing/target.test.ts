/** Where an outgoing request goes, checked as wasmtime checks it (target.ts). */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthority, resolveTarget, type TargetInput } from './target.ts';
import { timeoutsFrom } from './client.ts';

const GET = { tag: 'get' };
const input = (overrides: Partial<TargetInput>): TargetInput => ({
  method: GET,
  scheme: { tag: 'HTTP' },
  authority: 'example.com',
  pathWithQuery: '/',
  ...overrides,
});

test('methods: named cases uppercase, other ones as spelled; a non-token is HTTP-request-method-invalid', () => {
  assert.equal((resolveTarget(input({ method: { tag: 'patch' } })) as { method: string }).method, 'PATCH');
  assert.equal(
    (resolveTarget(input({ method: { tag: 'other', val: 'PURGE' } })) as { method: string }).method,
    'PURGE',
  );
  assert.deepEqual(resolveTarget(input({ method: { tag: 'other', val: 'BAD METHOD' } })), {
    error: { tag: 'HTTP-request-method-invalid' },
  });
});

test("schemes: none is https (wasmtime's default), other than http/https is HTTP-protocol-error", () => {
  assert.deepEqual(resolveTarget(input({ scheme: undefined })), {
    method: 'GET',
    scheme: 'https',
    authority: 'example.com',
    hostname: 'example.com',
    port: 443,
    path: '/',
  });
  assert.equal((resolveTarget(input({ scheme: { tag: 'other', val: 'http' } })) as { scheme: string }).scheme, 'http');
  for (const other of ['ftp', 'HTTP', 'ws']) {
    assert.deepEqual(
      resolveTarget(input({ scheme: { tag: 'other', val: other } })),
      { error: { tag: 'HTTP-protocol-error' } },
      other,
    );
  }
});

test('authority and path: missing or malformed is HTTP-request-URI-invalid; ports default by scheme', () => {
  for (const authority of [undefined, '', 'example.com:', 'example.com:abc', 'example.com:65536', '[::1', 'a b']) {
    assert.deepEqual(
      resolveTarget(input({ authority })),
      { error: { tag: 'HTTP-request-URI-invalid' } },
      String(authority),
    );
  }
  assert.deepEqual(parseAuthority('[::1]:8080'), { hostname: '::1', port: 8080 });
  assert.deepEqual(parseAuthority('[::1]'), { hostname: '::1', port: null });
  assert.deepEqual(parseAuthority('127.0.0.1:80'), { hostname: '127.0.0.1', port: 80 });
  assert.equal((resolveTarget(input({ pathWithQuery: undefined })) as { path: string }).path, '/');
  assert.equal((resolveTarget(input({ pathWithQuery: '' })) as { path: string }).path, '/');
  assert.equal((resolveTarget(input({ authority: 'example.com' })) as { port: number }).port, 80);
  assert.deepEqual(resolveTarget(input({ pathWithQuery: 'no-slash' })), { error: { tag: 'HTTP-request-URI-invalid' } });
  assert.deepEqual(resolveTarget(input({ pathWithQuery: '/a b' })), { error: { tag: 'HTTP-request-URI-invalid' } });
});

test('request-options: nanoseconds to milliseconds, 600 s for each one not set', () => {
  assert.deepEqual(timeoutsFrom(undefined), { connectMs: 600_000, firstByteMs: 600_000, betweenBytesMs: 600_000 });
  assert.deepEqual(timeoutsFrom({ connect: 1_500_000n, firstByte: undefined, betweenBytes: 0n }), {
    connectMs: 1.5,
    firstByteMs: 600_000,
    betweenBytesMs: 0,
  });
});
