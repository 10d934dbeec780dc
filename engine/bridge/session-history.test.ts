/**
 * The session's history, with a real pool serving real requests over loopback: a dashboard that
 * attaches late is sent every event a dashboard attached from the start received (each once: in
 * its history or in a later batch), instance counts come from the engine, and a new pool or the
 * user's Clear starts the history afresh.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { PoolEvent, ServerMessage, Snapshot } from '../../protocol/index.ts';
import { send, sendSequential } from '../test/support/http-client.ts';
import { DashboardSession } from './dashboard-session.ts';

const open = new Set<DashboardSession>();
after(async () => {
  for (const session of open) await session.close();
});

/** A peer that keeps what it was sent. */
function peer() {
  const messages: ServerMessage[] = [];
  const events = (): PoolEvent[] => messages.flatMap((m) => (m.kind === 'events' ? m.events : []));
  const snapshots = (): Snapshot[] => messages.flatMap((m) => (m.kind === 'snapshot' ? [m.snapshot] : []));
  return { send: (m: ServerMessage) => void messages.push(m), events, snapshots };
}

/** Resolves once the bus has emitted an event `match` accepts. */
function next(session: DashboardSession, match: (e: PoolEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = session.bus.subscribe((e) => {
      if (!match(e)) return;
      off();
      resolve();
    });
  });
}

test('a late dashboard gets, in its history and then its batches, exactly the events an early one got', async () => {
  const session = new DashboardSession({
    component: 'demo:never-set',
    knobs: { maxInstanceReuseCount: 3, idleInstanceTimeoutMs: 60_000 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  open.add(session);
  const early = peer();
  session.attach(early);
  await session.start();
  const url = session.serving?.frontDoor.url;
  assert.ok(url);

  // Each request fails (the guest never sets a response); three use up instance 0.
  const exited = next(session, (e) => e.type === 'worker.exit' && e.instanceId === 0);
  const failed = await sendSequential(url, 4);
  assert.deepEqual(
    failed.map((r) => r.status),
    [500, 500, 500, 500],
  );
  await exited;

  const late = peer();
  session.attach(late);
  const [attached] = late.snapshots();
  const history = attached?.history;
  assert.ok(history, 'the attach snapshot carries the history');
  assert.deepEqual([history.dropped, history.before], [0, null]);
  assert.ok(history.events.some((e) => e.type === 'worker.exit' && e.instanceId === 0));
  assert.deepEqual(
    attached.instances.map((i) => [i.instanceId, i.reuseCount, i.ok, i.failed]),
    [[1, 1, 0, 1]],
    'the live instance, with the counts the engine kept',
  );

  // More traffic after the late attach: both follow it.
  const done = next(session, (e) => e.type === 'request.failed' && e.requestId === 5);
  await send(url);
  await send(url);
  await done;
  await session.close();
  open.delete(session);

  const seqs = (events: readonly PoolEvent[]) => events.map((e) => e.seq);
  const earlyEvents = early.events();
  const lateEvents = [...history.events, ...late.events()];
  assert.deepEqual(seqs(lateEvents), seqs(earlyEvents), 'the same events, in order, none twice');
  // The history holds the bus's events as emitted, not copies that could drift.
  assert.deepEqual(lateEvents, earlyEvents);
  // Neither history nor snapshot for the early peer's later snapshots (knob-free announces).
  assert.equal(early.snapshots().filter((s) => s.history !== undefined).length, 1, 'only its attach snapshot');
});

test("a new pool's history starts empty, and so does one after the user's Clear", async () => {
  const session = new DashboardSession({
    component: 'demo:hello',
    knobs: { maxInstanceReuseCount: 8, idleInstanceTimeoutMs: 60_000 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  open.add(session);
  await session.start();
  const url = session.serving?.frontDoor.url;
  assert.ok(url);
  const completed = next(session, (e) => e.type === 'request.completed');
  assert.equal((await send(url)).status, 200);
  await completed;
  const eventsOf = (s: Snapshot) => s.history?.events.map((e) => e.type) ?? [];
  assert.ok(eventsOf(session.snapshot(true)).includes('request.completed'));
  assert.equal(session.snapshot().history, undefined, 'only asked for on attach');

  await session.execute({ type: 'clearHistory' });
  assert.deepEqual(eventsOf(session.snapshot(true)), []);
  // The card still says what its instance did: its counts are the engine's, not the history's.
  assert.deepEqual(
    session.snapshot().instances.map((i) => [i.ok, i.failed]),
    [[1, 0]],
  );

  await session.execute({ type: 'load', component: 'demo:hello' });
  const types = eventsOf(session.snapshot(true));
  assert.ok(!types.includes('request.completed'), `a new pool, a new history: ${types.join(', ')}`);
  await session.close();
  open.delete(session);
});
