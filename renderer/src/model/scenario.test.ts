import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScenarioPhaseResult, ScenarioProgress } from '../../../protocol/index.ts';
import {
  applyScenarioProgress,
  bannerExpanded,
  comparisonRows,
  initialScenario,
  type UserWork,
  userWorkKey,
} from './scenario.ts';

const progress = (runId: number, step: number, state: ScenarioProgress['state'] = 'running'): ScenarioProgress => ({
  runId,
  name: 'state-leaks',
  title: 'State leaking between requests',
  step,
  steps: 5,
  caption: `step ${step}`,
  state,
  error: null,
  results: [],
  quick: true,
});

test('progress only moves forward within a run, and a new run replaces a finished one', () => {
  let state = applyScenarioProgress(initialScenario, progress(0, 2));
  state = applyScenarioProgress(state, progress(0, 1)); // a late message from an earlier step
  assert.equal(state.current?.step, 2);
  state = applyScenarioProgress(state, progress(0, 4, 'finished'));
  assert.equal(state.current?.state, 'finished');
  state = applyScenarioProgress(state, progress(0, 4, 'running'));
  assert.equal(state.current?.state, 'finished', 'a finished run stays finished');
  state = applyScenarioProgress(state, progress(1, 0));
  assert.deepEqual([state.current?.runId, state.current?.step], [1, 0]);
});

test('the comparison shows every phase side by side, and leaves out rows with nothing to say', () => {
  const phase = (label: string, changes: Partial<ScenarioPhaseResult>): ScenarioPhaseResult => ({
    label,
    requests: 10,
    failed: 0,
    abandoned: 0,
    failedByKind: {},
    requestsPerSecond: 99.6,
    latencyP50Ms: 1.25,
    latencyP99Ms: 3,
    instancesStarted: 1,
    averageLiveInstances: 1,
    peakLiveInstances: 1,
    drained: 0,
    watchdogKills: 0,
    traps: 0,
    timeouts: 0,
    leakChecks: 0,
    leaks: 0,
    durationMs: 100,
    ...changes,
  });
  const rows = comparisonRows([
    phase('concurrent reuse 16', { failed: 9, traps: 1 }),
    phase('concurrent reuse 1', { failed: 1, instancesStarted: 9, traps: 1 }),
  ]);
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.values]));
  assert.deepEqual(byLabel['failed'], ['9', '1']);
  assert.deepEqual(byLabel['instances started'], ['1', '9']);
  assert.deepEqual(byLabel['requests / s'], ['100', '100']);
  assert.deepEqual(byLabel['p50 latency'], ['1.3 ms', '1.3 ms']);
  assert.deepEqual(byLabel['traps'], ['1', '1']);
  assert.equal(byLabel['killed by the watchdog'], undefined);
  assert.equal(byLabel['leaks found'], undefined);
});

test('the banner folds to one line once the user does other work after the run, and the user can unfold it', () => {
  const work: UserWork = {
    poolId: 3,
    component: 'demo:counter',
    serving: true,
    knobs: { maxInstanceReuseCount: 7 },
    leakDetection: { mode: 'all' },
    loadRunId: null,
  };
  const atEnd = userWorkKey(work);
  const running = progress(4, 2);
  const finished = progress(4, 4, 'finished');
  assert.equal(bannerExpanded({ current: running, endKey: null, nowKey: atEnd, choice: null }), true);
  assert.equal(
    bannerExpanded({ current: finished, endKey: atEnd, nowKey: atEnd, choice: null }),
    true,
    'the results stay',
  );
  for (const change of [
    { knobs: { maxInstanceReuseCount: 8 } },
    { poolId: 4 },
    { serving: false },
    { component: 'demo:hello' },
    { leakDetection: { mode: 'off' } },
    { loadRunId: 0 },
  ]) {
    const now = userWorkKey({ ...work, ...change });
    assert.equal(
      bannerExpanded({ current: finished, endKey: atEnd, nowKey: now, choice: null }),
      false,
      `folds after ${JSON.stringify(change)}`,
    );
    // Unfolded on demand, it stays so until the next change of work.
    const choice = { runId: 4, key: now, expanded: true };
    assert.equal(bannerExpanded({ current: finished, endKey: atEnd, nowKey: now, choice }), true);
    const later = userWorkKey({ ...work, ...change, loadRunId: 9 });
    assert.equal(bannerExpanded({ current: finished, endKey: atEnd, nowKey: later, choice }), false);
  }
  // Folded by hand while it runs, it stays folded; a choice about another run does not count.
  assert.equal(
    bannerExpanded({ current: running, endKey: null, nowKey: atEnd, choice: { runId: 4, key: 'x', expanded: false } }),
    false,
  );
  assert.equal(
    bannerExpanded({
      current: running,
      endKey: null,
      nowKey: atEnd,
      choice: { runId: 3, key: atEnd, expanded: false },
    }),
    true,
  );
});

test('a phase without a rate shows "–", and the rate row goes when no phase has one', () => {
  const base = {
    requests: 6,
    failed: 0,
    abandoned: 0,
    failedByKind: {},
    latencyP50Ms: 1,
    latencyP99Ms: 2,
    instancesStarted: 1,
    averageLiveInstances: 1,
    peakLiveInstances: 1,
    drained: 0,
    watchdogKills: 0,
    traps: 0,
    timeouts: 0,
    leakChecks: 5,
    leaks: 5,
    durationMs: 100,
  };
  const paced = comparisonRows([
    { ...base, label: 'reuse 128', requestsPerSecond: null },
    { ...base, label: 'reuse 1', requestsPerSecond: null, leakChecks: 0, leaks: 0 },
  ]);
  assert.equal(
    paced.find((r) => r.label === 'requests / s'),
    undefined,
  );
  assert.deepEqual(paced.find((r) => r.label === 'leaks found')?.values, ['5 of 5', '0']);
  const mixed = comparisonRows([
    { ...base, label: 'a', requestsPerSecond: null },
    { ...base, label: 'b', requestsPerSecond: 41.6 },
  ]);
  assert.deepEqual(mixed.find((r) => r.label === 'requests / s')?.values, ['–', '42']);
});
