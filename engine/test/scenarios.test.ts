/** Teaching scenarios, engine side: run through the dashboard session, measured, guarded, stoppable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import type { ScenarioProgress, ServerMessage } from '../../protocol/index.ts';

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
