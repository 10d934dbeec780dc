/** A broken output stream drops its writes instead of failing each one again (broken-output.ts). */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { dropOutputOnceBroken } from './broken-output.ts';

/**
 * A stream whose every write fails with EPIPE, and which, like Node's stdio streams, is never
 * destroyed by it: it comes back after each error (stdio's destroy ends in `_undestroy()`), so
 * every later write is attempted, and fails, again.
 */
function brokenPipe(): { stream: Writable; attempts: () => number } {
  let attempts = 0;
  const stream = new Writable({
    write(_chunk, _encoding, callback) {
      attempts++;
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
    destroy(error, callback) {
      callback(error);
      // Node's own name for it; a Writable has it, its types do not say so.
      (stream as unknown as { _undestroy(): void })._undestroy();
    },
  });
  return { stream, attempts: () => attempts };
}

test('from the first write error on, writes are dropped: no further attempt, one report, callbacks still run', async () => {
  const { stream, attempts } = brokenPipe();
  const reports: string[] = [];
  dropOutputOnceBroken(stream, (error) => reports.push((error as NodeJS.ErrnoException).code ?? error.message));
  stream.write('first\n');
  await once(stream, 'error');
  const callbacks: Array<Error | null | undefined> = [];
  for (let i = 0; i < 100; i++)
    assert.equal(
      stream.write(`line ${i}\n`, (error) => callbacks.push(error)),
      true,
    );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(attempts(), 1, 'the stream was written to again after it broke');
  assert.deepEqual(reports, ['EPIPE']);
  assert.equal(callbacks.length, 100);
  assert.ok(callbacks.every((error) => error === null));
});

test('writes already under way when the stream broke fail after it: absorbed, still one report', async () => {
  const { stream } = brokenPipe();
  let reports = 0;
  dropOutputOnceBroken(stream, () => reports++);
  // Writes issued before the first error is emitted fail after it.
  stream.write('a\n');
  stream.write('b\n');
  await new Promise((resolve) => setImmediate(resolve));
  stream.emit('error', new Error('a late failure'));
  assert.equal(reports, 1);
});

test('the fake is as broken as stdio: without the policy, every write is attempted and fails again', async () => {
  const { stream, attempts } = brokenPipe();
  let errors = 0;
  stream.on('error', () => errors++);
  for (let i = 0; i < 3; i++) {
    stream.write(`line ${i}\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(attempts(), 3);
  assert.equal(errors, 3);
});
