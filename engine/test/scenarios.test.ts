/** Teaching scenarios, engine side: run through the dashboard session, measured, guarded, stoppable. */
import { createServer } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardSession, type ServingChange } from '../bridge/dashboard-session.ts';
import { sendRequestsFromDashboard } from '../bridge/send-requests.ts';
import { PARKED_LINE_LABEL, reportSessionToStderr } from '../bridge/session-stderr.ts';
import type { PoolEvent, ScenarioProgress, ServerMessage, Snapshot } from '../../protocol/index.ts';

function sessionWithProgress() {
  const session = new DashboardSession({ component: null, listen: { host: '127.0.0.1', port: 0 } });
  const progress: ScenarioProgress[] = [];
  let onEnd: ((last: ScenarioProgress) => void) | undefined;
  session.attach({
    send: (message: ServerMessage) => {
      if (message.kind !== 'scenario') return;
      progress.push(message.progress);
      if (message.progress.state !== 'running') onEnd?.(message.progress);
    },
  });
  /** Resolves with the progress that ended the run (any state but `running`), as it arrives. */
  const ended = (): Promise<ScenarioProgress> => {
    const last = progress.at(-1);
    if (last && last.state !== 'running') return Promise.resolve(last);
    return new Promise((resolve) => (onEnd = resolve));
  };
  return { session, progress, ended };
}

test('state-leaks runs to its end: findings with reuse, none without, captions in order', async () => {
  const { session, progress, ended } = sessionWithProgress();
  await session.execute({ type: 'runScenario', name: 'state-leaks', quick: true });
  const final = await ended();
  assert.equal(final.state, 'finished', final.error ?? '');
  assert.deepEqual([...new Set(progress.map((p) => p.step))], [0, 1, 2, 3, 4], 'every step shown, in order');
  const [reused, fresh] = final.results;
  assert.equal(reused?.label, 'reuse 128');
  assert.equal(reused?.requests, 6);
  assert.equal(reused?.leaks, 5, 'each reused answer differs from a fresh one');
  assert.equal(reused?.instancesStarted, 1);
  assert.equal(fresh?.leaks, 0);
  assert.equal(fresh?.leakChecks, 0, 'no reused answers, nothing to replay');
  assert.match(final.caption, /^5 findings with reuse, 0 without/);
  assert.equal(session.snapshot().scenario?.state, 'finished', 'a dashboard connecting later sees the last run');
  await session.close();
});

test('while a scenario runs, commands that would change its run are refused; stop ends it', async () => {
  const { session, ended } = sessionWithProgress();
  await session.execute({ type: 'runScenario', name: 'io-concurrency', quick: false });
  await assert.rejects(
    session.execute({ type: 'setKnobs', patch: { maxInstanceReuseCount: 2 } }),
    /the scenario 'io-concurrency' is running: stop it first/,
  );
  await assert.rejects(session.execute({ type: 'runScenario', name: 'timeouts', quick: true }), /already running/);
  await session.execute({ type: 'stopScenario' });
  const final = await ended();
  assert.equal(final.state, 'stopped');
  await assert.rejects(session.execute({ type: 'stopScenario' }), /no scenario is running/);
  await session.close();
});

test('an unknown scenario is refused by name, listing the known ones', async () => {
  const { session } = sessionWithProgress();
  await assert.rejects(
    session.execute({ type: 'runScenario', name: 'nope', quick: true }),
    /unknown scenario 'nope'; available: fresh-vs-reused, state-leaks, timeouts, trap-blast-radius, io-concurrency/,
  );
  await session.close();
});

/**
 * A session serving demo:counter with knobs and leak detection of the user's, and the address
 * changes it tells. One instance at most, so requests one after another count on one instance.
 */
async function userSession() {
  const session = new DashboardSession({
    component: 'demo:counter',
    knobs: { maxInstanceReuseCount: 7, idleInstanceTimeoutMs: 600_000, maxInstances: 1 },
    leakDetection: { mode: 'all' },
    listen: { host: '127.0.0.1', port: 0 },
  });
  const changes: ServingChange[] = [];
  const progress: ScenarioProgress[] = [];
  const ended = new Promise<ScenarioProgress>((resolve) =>
    session.attach({
      send: (message: ServerMessage) => {
        if (message.kind !== 'scenario') return;
        progress.push(message.progress);
        if (message.progress.state !== 'running') resolve(message.progress);
      },
    }),
  );
  await session.start();
  session.onServingChange((change) => changes.push(change));
  return { session, changes, progress, ended, before: session.snapshot() };
}

/** What the user had before the scenario, all of it again: component, address, knobs, leak detection; and the address answers the counter. */
async function assertGivenBack(session: DashboardSession, before: Snapshot): Promise<void> {
  const after = session.snapshot();
  assert.equal(after.component?.spec, 'demo:counter');
  assert.equal(after.serving, true);
  assert.equal(after.listenUrl, before.listenUrl, 'the same address');
  assert.deepEqual(after.knobs, before.knobs, "the user's knobs");
  assert.equal(after.knobs.maxInstanceReuseCount, 7);
  assert.deepEqual(after.leakDetection, before.leakDetection, "the user's leak detection");
  const response = await fetch(before.listenUrl!);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /^count=\d+/, "the user's component answers at the user's address");
}

test("a finished scenario gives the user's component, knobs, leak detection and address back; the CLI hears each change", async () => {
  const { session, changes, ended, before } = await userSession();
  try {
    await session.execute({ type: 'runScenario', name: 'fresh-vs-reused', quick: true });
    const final = await ended;
    assert.equal(final.state, 'finished', final.error ?? '');
    // The end was announced once the user's server was back, so this needs no wait.
    await assertGivenBack(session, before);
    const scenarioUrl = changes.find((c) => c.kind === 'listening' && c.by === 'scenario')?.url;
    assert.ok(scenarioUrl && scenarioUrl !== before.listenUrl, `the scenario served elsewhere: ${scenarioUrl}`);
    assert.deepEqual(
      changes.map((c) =>
        c.kind === 'listening'
          ? `${c.by} ${c.component} on ${c.url === before.listenUrl ? "the user's address" : 'its own'}${c.restored ? ', restored' : ''}`
          : `${c.by} ${c.kind === 'stopped' ? c.why : c.kind}`,
      ),
      [
        'user parked',
        'scenario demo:hello on its own',
        'scenario switch',
        "user demo:counter on the user's address, restored",
      ],
    );
  } finally {
    await session.close();
  }
});

test("while a scenario runs the user's pool goes on serving at the user's address; stopped, the scenario gives it back with its state and history", async () => {
  const { session, changes, ended, before } = await userSession();
  const snapshots: Snapshot[] = [];
  session.attach({ send: (message: ServerMessage) => message.kind === 'snapshot' && snapshots.push(message.snapshot) });
  try {
    assert.match(await (await fetch(before.listenUrl!)).text(), /^count=1/);
    await session.execute({ type: 'runScenario', name: 'io-concurrency', quick: false });
    const serving = new Promise<void>((resolve) =>
      session.onServingChange((c) => c.kind === 'listening' && c.by === 'scenario' && resolve()),
    );
    if (!changes.some((c) => c.kind === 'listening' && c.by === 'scenario')) await serving;
    // The scenario is on show; the user's address still answers, from the same instance.
    assert.equal(session.snapshot().component?.spec, 'demo:p3-delay');
    assert.notEqual(session.snapshot().listenUrl, before.listenUrl);
    assert.match(await (await fetch(before.listenUrl!)).text(), /^count=2/, "the user's instance, its state kept");
    const stopped = await session.execute({ type: 'stopScenario' });
    assert.equal(stopped.state, 'stopped');
    assert.equal((await ended).state, 'stopped');
    await assertGivenBack(session, before);
    const after = session.snapshot();
    assert.equal(after.poolId, before.poolId, "the user's own pool, not a new one");
    assert.match(await (await fetch(before.listenUrl!)).text(), /^count=4/, 'and still the same instance');
    // Pages were given its history with it: the request served while the scenario ran is in it.
    const back = snapshots.findLast((s) => s.poolId === before.poolId && s.history !== undefined);
    assert.ok(back?.history, 'a snapshot with the history of the pool shown again');
    const accepted = back.history.events.filter((e) => e.type === 'request.accepted');
    assert.deepEqual(
      accepted.map((e) => e.reuseCount),
      [1, 2],
      'the request before the scenario, and the one during it',
    );
    assert.deepEqual(
      changes.map((c) =>
        c.kind === 'listening'
          ? `${c.by} listening${c.restored ? ', restored' : ''}`
          : `${c.by} ${c.kind === 'stopped' ? c.why : c.kind}`,
      ),
      ['user parked', 'scenario listening', 'scenario switch', 'user listening, restored'],
    );
  } finally {
    await session.close();
  }
});

test("if the user's port was taken while the user's pool was stopped, starting again serves on a free one and says where", async () => {
  const { session, changes, before } = await userSession();
  const port = Number(new URL(before.listenUrl!).port);
  const squatter = createServer((socket) => socket.destroy());
  try {
    await session.execute({ type: 'stop' });
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(port, '127.0.0.1', resolve);
    });
    await session.execute({ type: 'start' });
    const back = changes.at(-1);
    assert.ok(back?.kind === 'listening' && back.by === 'user' && !back.restored, JSON.stringify(back));
    assert.equal(back.wanted, `127.0.0.1:${port}`);
    assert.notEqual(back.url, before.listenUrl);
    assert.equal(session.snapshot().listenUrl, back.url);
    assert.match(await (await fetch(back.url)).text(), /^count=1/, "the user's component, on the new address");
  } finally {
    squatter.close();
    await session.close();
  }
});

/** Resolves once `bus` carries a `request.completed` (every guest line of that request came before it). */
function completedOn(bus: DashboardSession['bus']): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = bus.subscribe((e) => {
      if (e.type !== 'request.completed') return;
      unsubscribe();
      resolve();
    });
  });
}

test("while parked, the user's pool is printed in the terminal, each line marked, and stays off the scenario's stream", async () => {
  const session = new DashboardSession({
    component: 'demo:print',
    knobs: { maxInstanceReuseCount: 2, idleInstanceTimeoutMs: 600_000, maxInstances: 1 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  const lines: string[] = [];
  const stopReporting = reportSessionToStderr(session, { loggingPrefix: true, write: (line) => lines.push(line) });
  try {
    await session.start();
    const userUrl = session.snapshot().listenUrl!;
    const shown = completedOn(session.bus);
    assert.equal((await fetch(userUrl)).status, 200);
    await shown;
    const before = lines.length;
    assert.ok(before > 0, 'demo:print printed');
    assert.ok(lines.every((line) => !line.startsWith(PARKED_LINE_LABEL)));

    const scenarioServing = new Promise<void>((resolve) =>
      session.onServingChange((c) => c.kind === 'listening' && c.by === 'scenario' && resolve()),
    );
    await session.execute({ type: 'runScenario', name: 'io-concurrency', quick: false });
    await scenarioServing;
    const onShow: string[] = [];
    const unsubscribe = session.bus.subscribe((e) => void onShow.push(e.type));
    const backstage = completedOn(session.backstage);
    assert.equal((await fetch(userUrl)).status, 200);
    await backstage;
    unsubscribe();
    const parkedLines = lines.slice(before).filter((line) => line.startsWith(PARKED_LINE_LABEL));
    assert.deepEqual(
      parkedLines.map((line) => line.slice(PARKED_LINE_LABEL.length)),
      lines.slice(0, before),
      'the same guest lines as before the scenario, from the same instance, each marked',
    );
    assert.ok(!onShow.includes('guest.output'), "the parked pool's output is not on the scenario's stream");
    await session.execute({ type: 'stopScenario' });
  } finally {
    stopReporting();
    await session.close();
  }
});

test("--events follows the user's pool before, during (parked) and after a scenario, and carries none of the scenario's events", async () => {
  const session = new DashboardSession({
    component: 'demo:counter',
    knobs: { maxInstanceReuseCount: 7, idleInstanceTimeoutMs: 600_000, maxInstances: 1 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  const written: PoolEvent[] = []; // what `--events` writes (serve-command.ts)
  session.userBus.subscribe((e) => void written.push(e));
  const onShow: PoolEvent[] = [];
  session.bus.subscribe((e) => void onShow.push(e));
  /** Fetches the user's address and waits for the request's completion on the user's bus. */
  const countAt = async (url: string): Promise<string> => {
    const completed = completedOn(session.userBus);
    const body = await (await fetch(url)).text();
    await completed;
    return body;
  };
  try {
    await session.start();
    const userUrl = session.snapshot().listenUrl!;
    assert.match(await countAt(userUrl), /^count=1/);

    /** Where the dashboards' stream is the scenario's: from its pool's address on. */
    let scenarioFrom = -1;
    const scenarioServing = new Promise<void>((resolve) =>
      session.onServingChange((c) => {
        if (c.kind !== 'listening' || c.by !== 'scenario') return;
        scenarioFrom = onShow.length;
        resolve();
      }),
    );
    await session.execute({ type: 'runScenario', name: 'io-concurrency', quick: false });
    await scenarioServing;
    assert.match(await countAt(userUrl), /^count=2/, 'parked, the same instance');
    // The scenario's own pool serves its requests meanwhile: wait until it has answered one.
    if (!onShow.slice(scenarioFrom).some((e) => e.type === 'request.completed')) await completedOn(session.bus);
    const scenarioUntil = onShow.length;
    await session.execute({ type: 'stopScenario' });
    assert.match(await countAt(userUrl), /^count=3/, 'given back, the same instance');

    const scenarioEvents = onShow.slice(scenarioFrom, scenarioUntil).filter((e) => e.type === 'worker.spawned');
    assert.ok(scenarioEvents.length > 0, "the scenario's pool started instances, on the dashboards' stream");
    assert.deepEqual(
      written.filter((e) => e.type === 'request.accepted').map((e) => e.reuseCount),
      [1, 2, 3],
      "the user's three requests, on its one instance, and no other request",
    );
    assert.equal(
      written.filter((e) => e.type === 'worker.spawned').length,
      1,
      "the user's one instance, none of the scenario's",
    );
    const seqs = written.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      seqs.toSorted((a, b) => a - b),
      'in order',
    );
  } finally {
    await session.close();
  }
});

test("closed while a scenario runs: the user's pool, still serving, closes too", async () => {
  const { session, changes, before } = await userSession();
  const serving = new Promise<void>((resolve) =>
    session.onServingChange((c) => c.kind === 'listening' && c.by === 'scenario' && resolve()),
  );
  await session.execute({ type: 'runScenario', name: 'io-concurrency', quick: false });
  if (!changes.some((c) => c.kind === 'listening' && c.by === 'scenario')) await serving;
  assert.match(await (await fetch(before.listenUrl!)).text(), /^count=1/);
  await session.close();
  await assert.rejects(fetch(before.listenUrl!), "the user's address is closed with the session");
});

test('with --addr host:0 a reload, a stop and a start keep the port the first pool got', async () => {
  const { session, changes, before } = await userSession();
  try {
    const loaded = await session.execute({ type: 'load', component: 'demo:hello' });
    assert.equal(loaded.listenUrl, before.listenUrl, 'another component, the same address');
    await session.execute({ type: 'stop' });
    const started = await session.execute({ type: 'start' });
    assert.equal(started.listenUrl, before.listenUrl, 'stopped and started, the same address');
    assert.match(await (await fetch(before.listenUrl!)).text(), /^Hello, WASI!/);
    assert.deepEqual(
      changes.map((c) => (c.kind === 'stopped' ? `stopped ${c.why}` : `${c.kind} ${c.component}`)),
      ['stopped switch', 'listening demo:hello', 'stopped stop', 'listening demo:hello'],
    );
  } finally {
    await session.close();
  }
});

test("a scenario is refused while requests sent from the dashboard run: they would go on at the user's pool, unseen", async () => {
  const { session, before } = await userSession();
  session.useRequestSender(sendRequestsFromDashboard);
  try {
    // Not awaited: the load is running when the scenario is asked for.
    const load = session.execute({ type: 'sendRequests', path: '/', method: 'GET', count: 50, concurrency: 1 });
    await assert.rejects(
      session.execute({ type: 'runScenario', name: 'fresh-vs-reused', quick: true }),
      /requests sent from the dashboard are still running: start the scenario once they are done/,
    );
    const summary = await load;
    assert.equal(summary.statusCounts['200'], 50);
    assert.equal(session.snapshot().poolId, before.poolId, 'nothing was parked or replaced');
    // Once the load is done, the scenario may run.
    await session.execute({ type: 'runScenario', name: 'fresh-vs-reused', quick: true });
  } finally {
    await session.close();
  }
});
