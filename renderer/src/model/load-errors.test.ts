import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadProgressSchema, type LoadProgress } from '../../../protocol/index.ts';
import { connectionLabel, loadBreakdown } from './load-errors.ts';

const progress = (p: Partial<LoadProgress>): LoadProgress =>
  loadProgressSchema.parse({
    runId: 0,
    done: 0,
    errors: 0,
    rate: 0,
    finished: true,
    statusCounts: {},
    latencyMs: null,
    ...p,
  });

describe('load error breakdown', () => {
  it('splits errors into timeouts and connection errors, and lists non-2xx responses by status', () => {
    // As the engine sends it (engine/loadgen/report.ts `toLoadProgress`) after a mixed run.
    const b = loadBreakdown(
      progress({
        done: 230,
        errors: 197,
        statusCounts: { '200': 20, '500': 12, '404': 1 },
        errorBreakdown: { timeouts: 150, connection: { ECONNRESET: 40, ECONNREFUSED: 7 } },
        timeoutMs: 1000,
      }),
    );
    assert.equal(b.errors, 197);
    assert.equal(b.non2xx, 13);
    assert.deepEqual(b.rows, [
      { kind: 'timeout', count: 150, timeoutMs: 1000 },
      { kind: 'connection', code: 'ECONNRESET', count: 40 },
      { kind: 'connection', code: 'ECONNREFUSED', count: 7 },
      { kind: 'status', status: 404, count: 1 },
      { kind: 'status', status: 500, count: 12 },
    ]);
  });

  it('a progress from an older recording keeps its total as unclassified, never guessed', () => {
    const old = progress({ errors: 197, statusCounts: { '200': 3 } });
    assert.equal(old.errorBreakdown, undefined, 'older recordings still parse without the fields');
    assert.deepEqual(loadBreakdown(old).rows, [{ kind: 'unclassified', count: 197 }]);
  });

  it('counts the breakdown does not reach are unclassified; a clean run has no rows', () => {
    const b = loadBreakdown(progress({ errors: 5, errorBreakdown: { timeouts: 2, connection: {} } }));
    assert.deepEqual(b.rows, [
      { kind: 'timeout', count: 2, timeoutMs: null },
      { kind: 'unclassified', count: 3 },
    ]);
    assert.deepEqual(loadBreakdown(progress({ statusCounts: { '200': 100, '204': 1 } })).rows, []);
  });

  it('ignores keys that are not status codes', () => {
    const b = loadBreakdown(progress({ statusCounts: { abc: 4, '5000': 1, '503': 2, '': 1 } }));
    assert.equal(b.non2xx, 2);
    assert.deepEqual(b.rows, [{ kind: 'status', status: 503, count: 2 }]);
  });

  it('names connection errors in words where it can', () => {
    assert.equal(connectionLabel('ECONNRESET'), 'reset');
    assert.equal(connectionLabel('ECONNREFUSED'), 'refused');
    assert.equal(connectionLabel('other'), 'other');
  });
});
