/** Clocks and polling: real, synchronous blocking of the thread, as the pool's watchdog expects. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createP2Host } from './index.ts';
import { poll, READY, type Pollable } from './poll.ts';

type Fn = (...args: unknown[]) => unknown;
const host = createP2Host({ env: [], output: { write() {} }, allowOutgoingHttp: false });
const clock = (name: string): Fn => host.imports['wasi:clocks/monotonic-clock']?.[name] as Fn;
const wallClock = (name: string): Fn => host.imports['wasi:clocks/wall-clock']?.[name] as Fn;

test('clocks: monotonic/wall now, and subscribe-duration blocks the thread synchronously', () => {
  const now = clock('now');
  const subscribeDuration = clock('subscribeDuration');
  const subscribeInstant = clock('subscribeInstant');
  const a = now() as bigint;
  assert.equal(typeof a, 'bigint');
  assert.ok((now() as bigint) >= a);
  assert.equal(clock('resolution')(), 1n);
  const wall = wallClock('now')() as { seconds: bigint; nanoseconds: number };
  assert.ok(Math.abs(Number(wall.seconds) * 1000 + wall.nanoseconds / 1e6 - Date.now()) < 1000);
  assert.ok(wall.nanoseconds >= 0 && wall.nanoseconds < 1e9);

  // t0 before subscribing: the deadline counts from the subscription, and a busy machine may
  // deschedule this thread between the two (the wait is then shorter, measured from later).
  const t0 = performance.now();
  const p = subscribeDuration(30_000_000n) as Pollable;
  assert.equal(p.ready(), false);
  p.block();
  const waited = performance.now() - t0;
  assert.ok(waited >= 29, `blocked ${waited} ms`);
  assert.equal(p.ready(), true);
  assert.equal((subscribeInstant(0n) as Pollable).ready(), true, 'an instant in the past');
});

test('poll: returns the ready indices, blocking until the earliest deadline', () => {
  const subscribeDuration = clock('subscribeDuration');
  const never = subscribeDuration(0xffff_ffff_ffff_ffffn) as Pollable;
  assert.deepEqual([...poll([never, READY, never, READY])], [1, 3]);
  const t0 = performance.now();
  const soon = subscribeDuration(20_000_000n) as Pollable;
  assert.deepEqual([...poll([never, soon])], [1]);
  assert.ok(performance.now() - t0 >= 19);
  assert.throws(() => poll([]), /empty list/);
});

test('a pollable blocked "forever" (u64::MAX) still lets the thread be terminated', async () => {
  const clocks = new URL('./clocks.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(clocks)}).then((m) => {
       require('node:worker_threads').parentPort.postMessage('blocking');
       m.monotonicClockImports.subscribeDuration(0xffffffffffffffffn).block();
     })`,
    { eval: true },
  );
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  let done = false;
  void exited.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(done, false, 'still blocked');
  const t0 = performance.now();
  await worker.terminate();
  await exited;
  assert.ok(performance.now() - t0 < 1500, 'terminated within one sleep slice');
});
