import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScenarioPhaseResult, ScenarioProgress } from '../../../protocol/index.ts';
import { applyScenarioProgress, comparisonRows, initialScenario } from './scenario.ts';

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
