/**
 * The leak detector's replay queue, made deterministic without timing: zoo-js-fetch (a real
 * componentize-js guest) proxies each request to a local upstream, which answers the first call
 * for a path (the watched pool's request) at once and holds every later one (the replay's) until
 * the test lets go. So the one replay slot stays busy exactly as long as the test wants, and which
 * answers queue and which overflow follows from the bound alone.
 */
import assert from 'node:assert/strict';
import { Agent, type ServerResponse } from 'node:http';
import { before, test } from 'node:test';
import { ensureGuestsBuilt, zooGuestPath } from '../../assets/guests/build.ts';
import { readAll, upstreamsClosedAfterTests } from '../host/outgoing/test-support.ts';
import { MAX_QUEUED_REPLAY_BYTES, type LeakDetectionSettings } from '../../protocol/index.ts';
import { send } from './support/http-client.ts';
import { eventsOf, serveForTest, skipCounts, type TestServer } from './support/serve.ts';

const startUpstream = upstreamsClosedAfterTests();

before(async () => {
  await ensureGuestsBuilt();
});

/** An upstream that holds every call after a path's first until `release()`. */
async function holdingUpstream() {
  const calls = new Map<string, number>();
  const held: ServerResponse[] = [];
  let released = false;
  let onHeld: (() => void) | null = null;
  const upstream = await startUpstream(async (req, res) => {
    await readAll(req); // a body (POST) read whole before answering, as a real service would
    const path = req.url ?? '/';
    const n = (calls.get(path) ?? 0) + 1;
    calls.set(path, n);
    if (n === 1 || released) {
      res.end('ok');
      return;
    }
    held.push(res);
    onHeld?.();
  });
  return {
    url: (path: string) => `http://${upstream.authority}${path}`,
    /** Resolves once `count` calls are held. */
    held: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (held.length >= count) resolve();
        };
        onHeld = check;
        check();
      }),
    release() {
      released = true;
      for (const res of held.splice(0)) res.end('ok');
    },
  };
}

/**
 * zoo-js-fetch on one instance (reuse 128) with one replay slot, its leak detection in `all` mode
 * with `settings` on top. `sendSequential(n)` sends n requests one after another on one keep-alive
 * connection, each proxied to the held upstream's `/item/i`: the 1st is a fresh instance's (never
 * replayed), the 2nd's replay holds the slot (its upstream call is held), later ones queue.
 */
async function oneReplaySlot(settings: Partial<LeakDetectionSettings>) {
  const upstream = await holdingUpstream();
  const server = await serveForTest(
    zooGuestPath('zoo-js-fetch'),
    { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000, maxInstances: 1 },
    {
      allowOutgoingHttp: true,
      leakDetection: { mode: 'all', maxConcurrentReplays: 1, maxReplaysPerSecond: 10_000, ...settings },
    },
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    upstream,
    server,
    agent,
    async sendSequential(n: number, init: { method?: string; body?: string } = {}): Promise<void> {
      for (let i = 1; i <= n; i++) {
        const path = `/proxy?url=${encodeURIComponent(upstream.url(`/item/${i}`))}`;
        const answer = await send(server.url(path), { agent, ...init });
        assert.equal(answer.status, 200, `request ${i}: ${answer.body}`);
      }
    },
  };
}

/** The request id the front door gave each request, in the order they were received. */
function receivedIds(server: TestServer): number[] {
  return eventsOf(server.events, 'request.received').map((e) => e.requestId);
}

test('a reused answer that finds the replay slot busy waits in the queue; beyond maxQueuedReplays it is skipped as queue-full', async () => {
  const { upstream, server, agent, sendSequential } = await oneReplaySlot({ maxQueuedReplays: 2 });
  try {
    // Six sequential requests on one instance: the 1st is a fresh instance's (never replayed);
    // the replay of the 2nd holds the one slot (its upstream call is held), the 3rd and 4th queue,
    // the 5th and 6th find the queue full.
    await sendSequential(6);
    await upstream.held(1);
    assert.equal(eventsOf(server.events, 'leak.checked').length, 0, 'the held replay has not finished');
    upstream.release();
    await server.leaks.idle();
    const ids = receivedIds(server);
    const checks = eventsOf(server.events, 'leak.checked');
    // FIFO: the queued answers are checked in the order they came, and each says what is left.
    assert.deepEqual(
      checks.map((c) => [c.requestId, c.reuseIndex, c.verdict, c.pending]),
      [
        [ids[1], 2, 'same', 2],
        [ids[2], 3, 'same', 1],
        [ids[3], 4, 'same', 0],
      ],
    );
  } finally {
    agent.destroy();
    upstream.release();
    await server.close(); // reports the skips not yet reported
  }
  assert.deepEqual(skipCounts(server), { 'queue-full': 2 });
  const last = eventsOf(server.events, 'leak.skipped').at(-1);
  assert.equal(last?.pending, 0);
});

test('replays still queued when leak detection stops are counted as stopped, not lost', async () => {
  const { upstream, server, agent, sendSequential } = await oneReplaySlot({ maxQueuedReplays: 8 });
  try {
    await sendSequential(4);
    await upstream.held(1);
  } finally {
    agent.destroy();
  }
  // Stopping drops the two queued replays at once and waits for the running one, held upstream.
  const closing = server.leaks.close();
  upstream.release();
  await closing;
  await server.close();
  const ids = receivedIds(server);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => c.requestId),
    [ids[1]],
  );
  assert.deepEqual(skipCounts(server), { stopped: 2 });
});

test('the queue is bounded in bytes too: a request whose body would take the queue past MAX_QUEUED_REPLAY_BYTES is skipped as queue-full', async () => {
  // The count bound (64 by default) is far away: only bytes can fill the queue.
  const { upstream, server, agent, sendSequential } = await oneReplaySlot({ replayUnsafeMethods: true });
  // Each body just over 1/32 of the bound (1 MiB + 1 at 32 MiB): 31 of them fit in the queue, the
  // 32nd does not. (A body of a third of it would be quicker, but the guest traps on one that large.)
  const body = 'x'.repeat(MAX_QUEUED_REPLAY_BYTES / 32 + 1);
  const fit = 31;
  try {
    // 1: a fresh instance's; 2: replayed, held upstream; 3…33: queued; 34: over the bytes bound.
    await sendSequential(fit + 3, { method: 'POST', body });
    await upstream.held(1);
    // The skip is reported within a second; the queue is then stopped rather than run (31 fresh
    // instances of a 14 MB guest would only slow the test): its replays count as stopped.
    await server.waitFor((e) => e.type === 'leak.skipped');
  } finally {
    agent.destroy();
  }
  const closing = server.leaks.close();
  upstream.release();
  await closing;
  await server.close();
  const ids = receivedIds(server);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => [c.requestId, c.requestBodyBytes]),
    [[ids[1], body.length]],
  );
  assert.deepEqual(skipCounts(server), { 'queue-full': 1, stopped: fit });
});

test('turning leak detection off drops the queued replays (counted as stopped); the running one finishes', async () => {
  const { upstream, server, agent, sendSequential } = await oneReplaySlot({ maxQueuedReplays: 8 });
  try {
    // The 2nd request's replay holds the slot; the 3rd's and 4th's queue.
    await sendSequential(4);
    await upstream.held(1);
    const off = server.leaks.setSettings({ mode: 'off' });
    assert.equal(off.ok, true);
    upstream.release();
    await server.leaks.idle();
  } finally {
    agent.destroy();
    upstream.release();
    await server.close();
  }
  const ids = receivedIds(server);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => c.requestId),
    [ids[1]],
    'only the replay already running when it was turned off',
  );
  assert.deepEqual(skipCounts(server), { stopped: 2 });
});

test('lowering maxQueuedReplays drops the newest queued replays beyond it (counted as queue-full); the rest are checked', async () => {
  const { upstream, server, agent, sendSequential } = await oneReplaySlot({ maxQueuedReplays: 8 });
  try {
    // The 2nd request's replay holds the slot; the 3rd's, 4th's and 5th's queue.
    await sendSequential(5);
    await upstream.held(1);
    assert.equal(server.leaks.setSettings({ maxQueuedReplays: 1 }).ok, true);
    upstream.release();
    await server.leaks.idle();
  } finally {
    agent.destroy();
    upstream.release();
    await server.close();
  }
  const ids = receivedIds(server);
  assert.deepEqual(
    eventsOf(server.events, 'leak.checked').map((c) => c.requestId),
    [ids[1], ids[2]],
    'the running replay and the oldest queued one',
  );
  assert.deepEqual(skipCounts(server), { 'queue-full': 2 });
});

test('raising maxConcurrentReplays starts queued replays at once, not after the running one', async () => {
  const { upstream, server, agent, sendSequential } = await oneReplaySlot({ maxQueuedReplays: 8 });
  try {
    // The 2nd request's replay holds the one slot; the 3rd's and 4th's queue.
    await sendSequential(4);
    await upstream.held(1);
    assert.equal(server.leaks.setSettings({ maxConcurrentReplays: 3 }).ok, true);
    // Each replay's upstream call is held: three held means all three run side by side.
    await upstream.held(3);
    assert.equal(eventsOf(server.events, 'leak.checked').length, 0, 'none finished: the first is still held');
    upstream.release();
    await server.leaks.idle();
    assert.equal(eventsOf(server.events, 'leak.checked').length, 3);
  } finally {
    agent.destroy();
    upstream.release();
    await server.close();
  }
});
