/**
 * Instance start times from Poolscope's `--events FILE` (JSON lines, `t` in ms on the engine's
 * clock): for each instance, from its `worker.spawned` to its `worker.instantiated`. That span is
 * what a request waiting for a new instance waits through (getting onto an executor thread, then
 * instantiating), which `worker.instantiated`'s own `durationMs` need not include. Instances
 * whose instantiation failed or had not finished when the file ended do not count.
 */
import { median } from './report.ts';

export interface InstanceStarts {
  /** `worker.spawned` events: instances started. */
  spawned: number;
  /** Start times (ms) of the instances that finished instantiating, in file order. */
  startMs: number[];
}

export interface StartStats {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

interface EventLine {
  type?: unknown;
  t?: unknown;
  instanceId?: unknown;
}

/** Reads every complete line of `data` (a cut-off last line is ignored). */
export function instanceStarts(data: Buffer): InstanceStarts {
  const spawnedAt = new Map<number, number>();
  const startMs: number[] = [];
  let spawned = 0;
  let start = 0;
  for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
    let event: EventLine = {};
    try {
      // A line of our own `--events` output (PoolEvent JSON); EventLine's fields are all optional.
      event = JSON.parse(data.subarray(start, newline).toString('utf8')) as EventLine;
    } catch {
      // not an event line
    }
    start = newline + 1;
    const { type, t, instanceId } = event;
    if (typeof t !== 'number' || typeof instanceId !== 'number') continue;
    if (type === 'worker.spawned') {
      spawned += 1;
      spawnedAt.set(instanceId, t);
    } else if (type === 'worker.instantiated') {
      const from = spawnedAt.get(instanceId);
      if (from !== undefined) startMs.push(t - from);
      spawnedAt.delete(instanceId);
    } else if (type === 'worker.instantiation_failed') {
      spawnedAt.delete(instanceId);
    }
  }
  return { spawned, startMs };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  if (value === undefined) throw new RangeError(`no percentile ${p}`); // the clamp keeps every rank but NaN's in range
  return value;
}

const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);

export function startStats(startMs: number[]): StartStats {
  return { count: startMs.length, p50Ms: round1(median(startMs)), p99Ms: round1(percentile(startMs, 99)) };
}
