/** The outbox's batching rules, without threads: what goes out when, and that an end waits for `returned`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { FromInstance } from './messages.ts';
import { Outbox } from './outbox.ts';

function recording(): { outbox: Outbox; batches: string[][] } {
  const batches: string[][] = [];
  const outbox = new Outbox((batch: FromInstance[]) => batches.push(batch.map((m) => m.type)));
  return { outbox, batches };
}

/** Lets the held messages grow older than the outbox's hold time (5 ms) by the clock it reads. */
function ageHeldMessages(): void {
  const until = performance.now() + 6;
  while (performance.now() < until);
}

test('during a synchronous call, the end goes out with returned even when the call outlives the hold time', () => {
  const { outbox, batches } = recording();
  outbox.hold();
  outbox.send({ type: 'head', requestId: 1, status: 200, headers: [] });
  outbox.send({ type: 'chunk', requestId: 1, bytes: new Uint8Array(10) });
  outbox.send({ type: 'end', requestId: 1 });
  ageHeldMessages();
  outbox.send({ type: 'output', stream: 'stdout', line: 'after the body' });
  assert.deepEqual(batches, [['head', 'chunk', 'output']], 'what came before and after the end streams on');
  ageHeldMessages();
  outbox.send({ type: 'output', stream: 'stdout', line: 'still computing' });
  assert.deepEqual(batches.at(-1), ['output'], 'the end is still held');
  ageHeldMessages();
  outbox.send({ type: 'returned', requestId: 1, memoryBytes: 65536 });
  assert.deepEqual(batches.at(-1), ['output'], 'returned never overtakes the end');
  outbox.release();
  assert.deepEqual(batches.at(-1), ['end', 'returned'], 'the end and the return arrive in one batch');
});

test('a large body streams before the end; a block flushes everything, the end included', () => {
  const { outbox, batches } = recording();
  outbox.hold();
  outbox.send({ type: 'head', requestId: 1, status: 200, headers: [] });
  outbox.send({ type: 'chunk', requestId: 1, bytes: new Uint8Array(300 * 1024) });
  assert.deepEqual(batches, [['head', 'chunk']]);
  outbox.send({ type: 'end', requestId: 1 });
  outbox.flush(); // what the host does before the guest blocks
  assert.deepEqual(batches.at(-1), ['end']);
});
