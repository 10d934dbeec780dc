import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandSchema } from './commands.ts';
import { loadProgressSchema, loadRunSummarySchema } from './load-run.ts';

const send = (extra: Record<string, unknown>) =>
  commandSchema.safeParse({ type: 'sendRequests', count: 2, concurrency: 2, path: '/', ...extra });

describe('load runs in the protocol', () => {
  it('sendRequests takes a client timeout within the load generator’s bounds, or none', () => {
    assert.equal(send({}).success, true);
    assert.equal(send({ timeoutMs: 1000 }).success, true);
    assert.equal(send({ timeoutMs: 3_600_000 }).success, true);
    for (const [timeoutMs, message] of [
      [999, 'timeout must be at least 1 s'],
      [3_600_001, 'timeout must be at most 1 hour'],
      [Number.NaN, 'timeout must be a number'],
      ['10', 'timeout must be a number'],
    ] as const) {
      const parsed = send({ timeoutMs });
      assert.equal(parsed.success, false, String(timeoutMs));
      assert.deepEqual(
        parsed.error?.issues.map((i) => i.message),
        [message],
      );
    }
  });

  it('progress and summaries from before the error breakdown still parse; a new one carries it', () => {
    const old = { runId: 1, done: 9, errors: 3, rate: 2, finished: true, statusCounts: { '200': 6 }, latencyMs: null };
    assert.equal(loadProgressSchema.safeParse(old).success, true);
    assert.equal(
      loadRunSummarySchema.safeParse({ runId: 1, requestsPerSecond: 3, statusCounts: {}, latencyMs: null }).success,
      true,
    );
    const now = { ...old, errorBreakdown: { timeouts: 2, connection: { ECONNRESET: 1 } }, timeoutMs: 1000 };
    assert.deepEqual(loadProgressSchema.parse(now).errorBreakdown, { timeouts: 2, connection: { ECONNRESET: 1 } });
    const hostile = { ...old, errorBreakdown: { timeouts: -1, connection: { ['x'.repeat(65)]: 1 } } };
    assert.equal(loadProgressSchema.safeParse(hostile).success, false);
  });
});
