/** Helpers for the reducer tests: recorded event streams, replayed the way the bridge batches them. */
import { readFileSync } from 'node:fs';
import { DEFAULT_LEAK_DETECTION, type PoolEvent, type Snapshot } from '../../../protocol/index.ts';
import { applyEventBatch, applySnapshot, initialData } from './apply.ts';
import { batchesOf, gaugesAfter } from './event-batches.ts';

export { batchesOf };
import { ZERO_GAUGES, type DataState } from './types.ts';

export function loadFixture(name: string): PoolEvent[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PoolEvent);
}

export function emptySnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const knobs = {
    maxInstanceReuseCount: 3,
    maxInstanceConcurrentReuseCount: 1,
    idleInstanceTimeoutMs: 1000,
    requestTimeoutMs: null,
    maxConcurrentRequests: 1000,
    maxInstances: 64,
    maxRequestBodyBytes: 64 * 1024 * 1024,
  };
  return {
    component: {
      spec: 'demo:counter',
      name: 'counter',
      world: 'wasip2',
      handlerInterface: 'wasi:http/incoming-handler@0.2.6',
      sha256: 'ab'.repeat(32),
    },
    listenUrl: 'http://127.0.0.1:8080/',
    serving: true,
    poolId: 1,
    knobs,
    requestedKnobs: knobs,
    instances: [],
    gauges: ZERO_GAUGES,
    leakDetection: DEFAULT_LEAK_DETECTION,
    scenarios: [],
    scenario: null,
    demos: [{ name: 'counter', description: 'count=N' }],
    t: 0,
    ...overrides,
  };
}

/** Replays a recording from a fresh state: a snapshot at t=0, then batches of `intervalMs`. */
export function replay(events: readonly PoolEvent[], intervalMs = 50, from: DataState = initialData): DataState {
  let state = applySnapshot(from, emptySnapshot(), 0);
  let gauges = ZERO_GAUGES;
  for (const batch of batchesOf(events, intervalMs)) {
    gauges = gaugesAfter(batch, gauges);
    state = applyEventBatch(state, batch, gauges, 0, batch[batch.length - 1]!.t);
  }
  return state;
}
