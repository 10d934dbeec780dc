/** Clocks and polling: waits are Promises (the instance suspends, the thread does not block). */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createP2Host } from './index.ts';
import { Pollable, READY } from './poll.ts';

type Fn = (...args: unknown[]) => unknown;

function newHost(options: { signal?: AbortSignal; beforeBlock?: () => void } = {}) {
  const host = createP2Host({ env: [], output: { write() {} }, allowOutgoingHttp: false, ...options });
  return {
    clock: (name: string): Fn => host.imports['wasi:clocks/monotonic-clock']?.[name] as Fn,
    wallClock: (name: string): Fn => host.imports['wasi:clocks/wall-clock']?.[name] as Fn,
    poll: host.imports['wasi:io/poll']?.['poll'] as (pollables: Pollable[]) => Promise<Uint32Array>,
  };
}

const FOREVER = 0xffff_ffff_ffff_ffffn;

test('clocks: monotonic/wall now, and subscribe-duration waits without blocking the thread', async () => {
  let blocks = 0;
  const { clock, wallClock } = newHost({ beforeBlock: () => blocks++ });
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

  const p = subscribeDuration(30_000_000n) as Pollable;
  assert.equal(p.ready(), false);
  let ranMeanwhile = false;
  setImmediate(() => (ranMeanwhile = true));
  await p.block();
  assert.equal(p.ready(), true);
  assert.equal(ranMeanwhile, true, 'the thread ran other work while the pollable waited');
  assert.equal(blocks, 1, 'beforeBlock before the wait');
  await (subscribeInstant(0n) as Pollable).block();
  assert.equal((subscribeInstant(0n) as Pollable).ready(), true, 'an instant in the past');
  assert.equal(blocks, 1, 'no beforeBlock when nothing waits');
});

test('poll: returns the ready indices, waiting until the earliest deadline', async () => {
  const { clock, poll } = newHost();
  const subscribeDuration = clock('subscribeDuration');
  const never = subscribeDuration(FOREVER) as Pollable;
  assert.deepEqual([...(await poll([never, READY, never, READY]))], [1, 3]);
  const soon = subscribeDuration(20_000_000n) as Pollable;
  assert.deepEqual([...(await poll([never, soon]))], [1]);
  assert.equal(soon.ready(), true);
  await assert.rejects(poll([]), /empty list/);
});

test('poll: a condition on a signal cell is rechecked when the cell is bumped and notified', async () => {
  const { poll } = newHost();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  let open = false;
  /** Each check's answer, in order; `checked` resolves on the next check. */
  const answers: boolean[] = [];
  let onCheck = (): void => {};
  const checked = (): Promise<void> => new Promise((resolve) => (onCheck = resolve));
  const gate = new Pollable(0n, {
    signal,
    condition: () => {
      answers.push(open);
      onCheck();
      return open;
    },
  });
  const waiting = poll([gate]);
  let settled = false;
  void waiting.then(() => (settled = true));
  assert.deepEqual(answers, [false], 'checked once, then waits');
  const recheck = checked();
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
  await recheck;
  // Every continuation of that check has run by the next macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(answers, [false, false]);
  assert.equal(settled, false, 'a bump without the condition holding wakes, rechecks and waits on');
  open = true;
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
  assert.deepEqual([...(await waiting)], [0]);
  assert.deepEqual(answers, [false, false, true]);
});

test('abort: pending waits reject with the reason, later blocking calls at once', async () => {
  const controller = new AbortController();
  const { clock, poll } = newHost({ signal: controller.signal });
  const forever = clock('subscribeDuration')(FOREVER) as Pollable;
  const blocked = forever.block();
  const polled = poll([forever]);
  const reason = new Error('the instance was disposed');
  controller.abort(reason);
  await assert.rejects(blocked, (e) => e === reason);
  await assert.rejects(polled, (e) => e === reason);
  await assert.rejects(forever.block(), (e) => e === reason);
  await assert.rejects(poll([READY]), (e) => e === reason);
});

test('abort: a "forever" wait leaves no timer behind to keep the process alive', async () => {
  const index = new URL('./index.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(index)}).then(async (m) => {
       const controller = new AbortController();
       const host = m.createP2Host({ env: [], output: { write() {} }, allowOutgoingHttp: false, signal: controller.signal });
       const waiting = host.imports['wasi:clocks/monotonic-clock'].subscribeDuration(0xffffffffffffffffn).block();
       setImmediate(() => controller.abort(new Error('gone'))); // once the wait is pending
       await waiting.catch((e) => require('node:worker_threads').parentPort.postMessage(e.message));
     })`,
    { eval: true },
  );
  const message = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  assert.equal(await message, 'gone');
  // Nothing is left to run: the worker's event loop empties and it exits on its own.
  assert.equal(await exited, 0);
});
