/**
 * Scenario isolation under races: what the user asked for just before a scenario started is what
 * the scenario gives back, through the real session, real pools and real HTTP over loopback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScenarioProgress, ServerMessage } from '../../protocol/index.ts';
import { DashboardSession, type ServingChange } from './dashboard-session.ts';

async function userSession() {
  const session = new DashboardSession({
    component: 'demo:counter',
    knobs: { maxInstanceReuseCount: 7, idleInstanceTimeoutMs: 30_000 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  const ended = new Promise<ScenarioProgress>((resolve) =>
    session.attach({
      send: (message: ServerMessage) => {
        if (message.kind === 'scenario' && message.progress.state !== 'running') resolve(message.progress);
      },
    }),
  );
  await session.start();
  return { session, ended, before: session.snapshot() };
}

test("a load the user sent just before a scenario started is what the scenario gives back, at the user's address", async () => {
  const { session, ended, before } = await userSession();
  try {
    // Not awaited: the load is still in the session's queue when the scenario starts.
    const loading = session.execute({ type: 'load', component: 'demo:hello' });
    await session.execute({ type: 'runScenario', name: 'fresh-vs-reused', quick: true });
    const loaded = await loading;
    assert.equal(loaded.component?.spec, 'demo:hello', 'the load itself succeeded');
    const final = await ended;
    assert.equal(final.state, 'finished', final.error ?? '');
    const after = session.snapshot();
    assert.equal(after.component?.spec, 'demo:hello', "the user's last choice, not the component before it");
    assert.equal(after.serving, true);
    assert.equal(after.listenUrl, before.listenUrl);
    assert.match(await (await fetch(before.listenUrl ?? '')).text(), /^Hello, WASI!/);
  } finally {
    await session.close();
  }
});

test("a scenario whose first guest is refused leaves the user's pool serving as it was, not restarted", async () => {
  // demo:p3-delay (the timeouts scenario's first guest) starts at 1.4 MiB of memory; demo:counter at 64 KiB.
  const session = new DashboardSession({
    component: 'demo:counter',
    knobs: { maxInstanceReuseCount: 7, idleInstanceTimeoutMs: 60_000 },
    maxMemoryBytes: 1024 * 1024,
    listen: { host: '127.0.0.1', port: 0 },
  });
  const ended = new Promise<ScenarioProgress>((resolve) =>
    session.attach({
      send: (message: ServerMessage) => {
        if (message.kind === 'scenario' && message.progress.state !== 'running') resolve(message.progress);
      },
    }),
  );
  try {
    await session.start();
    const before = session.snapshot();
    const changes: ServingChange[] = [];
    session.onServingChange((change) => changes.push(change));
    assert.match(await (await fetch(before.listenUrl ?? '')).text(), /^count=1/);
    await session.execute({ type: 'runScenario', name: 'timeouts', quick: true });
    const final = await ended;
    assert.equal(final.state, 'failed');
    assert.match(final.error ?? '', /over the guest memory limit/);
    assert.deepEqual(changes, [], 'no address closed or opened');
    assert.equal(session.snapshot().poolId, before.poolId, 'the same pool');
    assert.match(await (await fetch(before.listenUrl ?? '')).text(), /^count=2/, 'the same instance, its state kept');
  } finally {
    await session.close();
  }
});
