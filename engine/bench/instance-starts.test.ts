/** Instance start times from an --events file: worker.spawned → worker.instantiated per instance. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceStarts, percentile, startStats } from './instance-starts.ts';

const line = (event: object): string => JSON.stringify(event) + '\n';

test('each instance counts from its own spawn; failed and unfinished instances do not count', () => {
  const data = Buffer.from(
    line({ type: 'worker.spawned', t: 10, seq: 1, instanceId: 0, reason: 'no-available-worker' }) +
      line({ type: 'worker.spawned', t: 12, seq: 2, instanceId: 1, reason: 'no-available-worker' }) +
      line({ type: 'request.received', t: 13, seq: 3, requestId: 0, method: 'GET', uri: '/' }) +
      line({ type: 'worker.instantiated', t: 40, seq: 4, instanceId: 1, durationMs: 5 }) +
      line({ type: 'worker.instantiated', t: 60, seq: 5, instanceId: 0, durationMs: 5 }) +
      line({ type: 'worker.spawned', t: 70, seq: 6, instanceId: 2, reason: 'no-available-worker' }) +
      line({ type: 'worker.instantiation_failed', t: 75, seq: 7, instanceId: 2, message: 'x', failedRequests: 1 }) +
      line({ type: 'worker.spawned', t: 80, seq: 8, instanceId: 3, reason: 'no-available-worker' }) +
      '{"type":"worker.instantiated","t":9',
  );
  assert.deepEqual(instanceStarts(data), { spawned: 4, startMs: [28, 50] });
});

test('p50 is the median, p99 the nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile([5], 99), 5);
  assert.deepEqual(startStats([3, 1, 2]), { count: 3, p50Ms: 2, p99Ms: 3 });
  assert.deepEqual(startStats([]), { count: 0, p50Ms: null, p99Ms: null });
});
