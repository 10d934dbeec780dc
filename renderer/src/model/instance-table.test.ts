import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent } from '../../../protocol/index.ts';
import {
  DEFAULT_INSTANCE_SORT,
  INSTANCE_COLUMNS,
  instanceRows,
  nextSort,
  sortRows,
  type InstanceRow,
} from './instance-table.ts';
import { loadFixture, replay } from './test-support.ts';

const ids = (rows: readonly InstanceRow[]) => rows.map((r) => r.instanceId);
const before = (events: PoolEvent[], match: (e: PoolEvent) => boolean): PoolEvent[] =>
  events.slice(
    0,
    events.findIndex((e) => match(e)),
  );

/** Rows of a recorded stream replayed up to its end (or `events` as given), live and retired. */
function rowsOf(events: PoolEvent[], withRetired = true): InstanceRow[] {
  const state = replay(events);
  const now = events[events.length - 1]!.t;
  return instanceRows(
    state.instances.live.values(),
    withRetired ? state.instances.retired : null,
    state.leaks,
    now,
    state.pool.knobs,
  );
}

describe('instance table rows, on recorded engine streams', () => {
  it('sleep with 4 parallel requests: mid-run, four live rows, two running and two starting', () => {
    const events = loadFixture('sleep-parallel.jsonl');
    // Up to the first response: instances 2 and 3 (instantiated first) run a request each, at
    // their concurrency limit; 0 and 1 are still starting.
    const rows = sortRows(rowsOf(before(events, (e) => e.type === 'request.responded')), DEFAULT_INSTANCE_SORT);
    assert.deepEqual(
      rows.map((r) => [r.instanceId, r.state, r.detail, r.reuse, r.inFlight, r.retired]),
      [
        [0, 'Starting', 'starting', 0, 0, false],
        [1, 'Starting', 'starting', 0, 0, false],
        [2, 'Requests', 'concurrency-limit', 1, 1, false],
        [3, 'Requests', 'concurrency-limit', 1, 1, false],
      ],
    );
    assert.deepEqual(ids(sortRows(rows, { column: 'state', direction: 'ascending' })), [0, 1, 2, 3]);
    assert.deepEqual(ids(sortRows(rows, { column: 'state', direction: 'descending' })), [2, 3, 0, 1]);
    assert.deepEqual(ids(sortRows(rows, { column: 'reuse', direction: 'descending' })), [2, 3, 0, 1]);
  });

  it('counter with leak detection: the retired rows carry exit cause, lifetime and leak counts; sorting by reuse and leaks reorders them', () => {
    const rows = rowsOf(loadFixture('counter-leaks-reuse3.jsonl'));
    assert.deepEqual(
      sortRows(rows, DEFAULT_INSTANCE_SORT).map((r) => [
        r.instanceId,
        r.state,
        r.detail,
        r.reuse,
        r.ok,
        r.leaks,
        r.leakChecked,
      ]),
      [
        [0, 'retired', 'drained', 3, 3, 2, 2],
        [1, 'retired', 'drained', 2, 2, 0, 0],
      ],
    );
    assert.deepEqual(ids(sortRows(rows, { column: 'reuse', direction: 'ascending' })), [1, 0]);
    assert.deepEqual(ids(sortRows(rows, { column: 'reuse', direction: 'descending' })), [0, 1]);
    assert.deepEqual(ids(sortRows(rows, { column: 'leaks', direction: 'descending' })), [0, 1]);
    assert.ok(rows.every((r) => r.ageMs > 0 && r.inFlight === 0 && r.stateMs === null && r.overdue === null));
  });

  it('without retired rows only live instances are listed; a live instance is never listed twice', () => {
    const events = loadFixture('counter-leak-queue.jsonl');
    const live = before(events, (e) => e.type === 'worker.draining');
    assert.deepEqual(
      rowsOf(live, false).map((r) => [r.instanceId, r.state, r.detail, r.reuse, r.ok, r.leaks, r.leakChecked]),
      [[0, 'Idle', 'available', 8, 8, 7, 7]],
    );
    // Time in state: known for the live row (it was seen from its spawn); an Idle held past the
    // idle timeout (1 s in the test snapshot) plus slack is flagged, as on the cards.
    const state = replay(live);
    const lastT = live[live.length - 1]!.t;
    const [row] = instanceRows(state.instances.live.values(), null, state.leaks, lastT, state.pool.knobs);
    assert.ok(row && row.stateMs !== null && row.stateMs >= 0 && row.overdue === null);
    const [later] = instanceRows(state.instances.live.values(), null, state.leaks, lastT + 60_000, state.pool.knobs);
    assert.match(later?.overdue ?? '', /^idle for over 3 s: the idle timeout should have ended it$/);
    const draining = before(events, (e) => e.type === 'worker.exit');
    assert.deepEqual(
      rowsOf(draining, false).map((r) => [r.instanceId, r.state]),
      [[0, 'draining']],
    );
    assert.equal(rowsOf(live, true).length, 1);
    assert.deepEqual(
      rowsOf(events, false).map((r) => r.instanceId),
      [],
      'after SIGTERM it retired',
    );
  });

  it('trap: failed counts sort, and an unknown memory size sorts last in both directions', () => {
    const trapped = rowsOf(loadFixture('trap.jsonl'));
    const counted = rowsOf(loadFixture('counter-reuse3.jsonl'));
    // Ids overlap between the two runs; renumber the trap run's to tell them apart.
    const rows = [...counted, ...trapped.map((r) => ({ ...r, instanceId: r.instanceId + 10 }))];
    assert.deepEqual(ids(sortRows(rows, { column: 'failed', direction: 'descending' })), [10, 11, 0, 1]);
    assert.deepEqual(ids(sortRows(rows, { column: 'failed', direction: 'ascending' })), [0, 1, 10, 11]);
    assert.ok(trapped.every((r) => r.memoryBytes === null));
    assert.deepEqual(ids(sortRows(rows, { column: 'memory', direction: 'ascending' })), [0, 1, 10, 11]);
    assert.deepEqual(ids(sortRows(rows, { column: 'memory', direction: 'descending' })), [0, 1, 10, 11]);
  });
});

describe('sorting', () => {
  it('a header click flips the same column, and starts another at its telling end', () => {
    let sort = DEFAULT_INSTANCE_SORT;
    sort = nextSort(sort, 'reuse');
    assert.deepEqual(sort, { column: 'reuse', direction: 'descending' });
    sort = nextSort(sort, 'reuse');
    assert.deepEqual(sort, { column: 'reuse', direction: 'ascending' });
    assert.deepEqual(nextSort(sort, 'state'), { column: 'state', direction: 'ascending' });
    assert.deepEqual(nextSort(sort, 'id'), { column: 'id', direction: 'ascending' });
  });

  it('every column sorts, ties by id, and the input is left as it was', () => {
    const rows = rowsOf(loadFixture('counter-leaks-reuse3.jsonl'));
    const copy = rows.slice();
    for (const column of INSTANCE_COLUMNS) {
      for (const direction of ['ascending', 'descending'] as const) {
        const sorted = sortRows(rows, { column, direction });
        assert.equal(sorted.length, rows.length, column);
      }
    }
    // Same in-flight (0) and executor (unknown): id order either way.
    assert.deepEqual(ids(sortRows(rows, { column: 'inFlight', direction: 'descending' })), [0, 1]);
    assert.deepEqual(ids(sortRows(rows, { column: 'executor', direction: 'ascending' })), [0, 1]);
    assert.deepEqual(rows, copy);
  });
});
