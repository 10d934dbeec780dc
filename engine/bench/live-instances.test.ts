/** Live instances over a window of an --events file: peak and time-weighted average. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveInstancesInWindow } from './live-instances.ts';

const line = (event: object): string => JSON.stringify(event) + '\n';
const gauges = (t: number, liveInstances: number): string =>
  line({ type: 'pool.gauges', t, seq: t, liveInstances, availableWorkers: 0, queueDepth: 0, inFlight: 0 });
const other = (t: number): string => line({ type: 'request.received', t, seq: t });

test('the value before the window carries in; the average is weighted by time', () => {
  const before = gauges(0, 3) + gauges(5, 4);
  const window = other(10) + gauges(20, 8) + gauges(30, 2) + other(50);
  const after = gauges(60, 100);
  const data = Buffer.from(before + window + after);
  const start = Buffer.byteLength(before);
  const end = start + Buffer.byteLength(window);
  // 4 for 10 ms, 8 for 10 ms, 2 for 20 ms, over 40 ms.
  assert.deepEqual(liveInstancesInWindow(data, start, end), {
    peak: 8,
    average: (4 * 10 + 8 * 10 + 2 * 20) / 40,
    events: 4,
  });
});

test('a window with no events has no figures; a line cut off at the end is ignored', () => {
  const data = Buffer.from(gauges(0, 3) + '{"type":"pool.gau');
  assert.equal(liveInstancesInWindow(data, data.length - 5, data.length), null);
  assert.equal(liveInstancesInWindow(data, 0, data.length)?.peak, 3);
});
