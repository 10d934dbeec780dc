/**
 * The session's view of live instances (what a dashboard connecting mid-run is sent), followed
 * from the real event stream of a real pool serving real requests over loopback HTTP.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { InstanceSnapshot, PoolEvent } from '../../protocol/index.ts';
import { send } from '../test/support/http-client.ts';
import { DashboardSession } from './dashboard-session.ts';

/** Sessions a failed test left open: closed at the end of the file so nothing hangs. */
const open = new Set<DashboardSession>();
after(async () => {
  for (const session of open) await session.close();
});

async function serve(component: string, maxInstanceReuseCount: number) {
  // A long idle timeout: no instance may retire by itself while the test looks at it.
  const session = new DashboardSession({
    component,
    knobs: { maxInstanceReuseCount, idleInstanceTimeoutMs: 60_000 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  open.add(session);
  await session.start();
  const url = session.serving?.frontDoor.url;
  assert.ok(url);
  const instances = (): InstanceSnapshot[] => session.snapshot().instances;
  /**
   * The session's instances just after the next event `match` accepts. Taken in the bus listener,
   * so no later event is in them: the session's own listener (the tracker) was subscribed first.
   */
  const after = (match: (e: PoolEvent) => boolean): Promise<InstanceSnapshot[]> =>
    new Promise((resolve) => {
      const off = session.bus.subscribe((event) => {
        if (!match(event)) return;
        off();
        resolve(instances());
      });
    });
  return { session, url, after, instances };
}

const isStatus = (instanceId: number, status: string) => (e: PoolEvent) =>
  e.type === 'worker.status' && e.instanceId === instanceId && e.status === status;
const isExit = (instanceId: number) => (e: PoolEvent) => e.type === 'worker.exit' && e.instanceId === instanceId;

test('an instance between requests, and one serving a request', async () => {
  const { session, url, after, instances } = await serve('demo:sleep', 8);
  assert.deepEqual(instances(), []);

  // Idle once the request is served (it is Idle once before, instantiated with the request waiting).
  let served = false;
  const idleAgain = after((e) => {
    if (e.type === 'request.completed') served = true;
    return served && isStatus(0, 'Idle')(e);
  });
  assert.equal((await send(`${url}?ms=1`)).status, 200);
  const [idle] = await idleAgain;
  assert.ok(idle);
  assert.equal(typeof idle.memoryBytes, 'number');
  assert.deepEqual(idle, {
    instanceId: 0,
    status: 'Idle',
    available: true,
    unavailableWhy: null,
    draining: false,
    reuseCount: 1,
    inFlight: 0,
    createdAt: idle.createdAt,
    memoryBytes: idle.memoryBytes,
    ok: 1,
    failed: 0,
  });

  const busy = after((e) => e.type === 'worker.unavailable' && e.instanceId === 0);
  const second = send(`${url}?ms=50`);
  assert.deepEqual(await busy, [
    { ...idle, status: 'Requests', available: false, unavailableWhy: 'concurrency-limit', reuseCount: 2, inFlight: 1 },
  ]);
  assert.equal((await second).status, 200);

  const exited = after(isExit(0));
  open.delete(session);
  await session.close();
  assert.deepEqual(await exited, [], 'the instance left with the pool');
});

test('an instance that used up its reuse count leaves the snapshot; the next one is in it', async () => {
  const { session, url, after } = await serve('demo:counter', 1);
  const drained = after(isExit(0));
  assert.equal((await send(url)).status, 200);
  assert.deepEqual(await drained, []);

  const spawned = after((e) => e.type === 'worker.spawned' && e.instanceId === 1);
  const next = send(url);
  const [starting] = await spawned;
  assert.deepEqual(starting, {
    instanceId: 1,
    status: 'Starting',
    available: false,
    unavailableWhy: null,
    draining: false,
    reuseCount: 0,
    inFlight: 0,
    createdAt: starting?.createdAt,
    memoryBytes: null,
    ok: 0,
    failed: 0,
  });
  assert.equal((await next).status, 200);
  open.delete(session);
  await session.close();
});
