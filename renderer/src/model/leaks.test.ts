import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LEAK_DETECTION, type PoolEvent } from '../../../protocol/index.ts';
import { startingInstance } from '../../../protocol/instance-fold.ts';
import { applyEventBatch, applySnapshot, clearHistory } from './apply.ts';
import { parseDifference } from './leak-diff.ts';
import {
  applyLeakEvents,
  badgeText,
  coverageText,
  findingsFor,
  initialLeaks,
  leakCoverage,
  memoryCurve,
} from './leaks.ts';
import { emptySnapshot, loadFixture, replay } from './test-support.ts';
import { LIMITS } from './types.ts';

const KiB = 1024;
const upToSeq = (events: PoolEvent[], seq: number): PoolEvent[] => events.filter((e) => e.seq <= seq);
const seqOf = (events: PoolEvent[], match: (e: PoolEvent) => boolean): number => events.find(match)!.seq;

describe('leaks reducer, on recorded engine streams', () => {
  it('counter with reuse 3 and --leak-check all: two findings, counted on instance 0 after it retired', () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const state = replay(events);
    const { leaks } = state;
    assert.deepEqual([leaks.checked, leaks.same, leaks.leaks, leaks.errors, leaks.skippedTotal], [2, 0, 2, 0, 1]);
    assert.deepEqual(leaks.skipped, { 'replays-busy': 1 });
    // Request 2's verdict came first: newest first puts request 1 on top.
    assert.deepEqual(
      leaks.findings.map((f) => [f.requestId, f.instanceId, f.reuseIndex, f.method, f.uri]),
      [
        [1, 0, 2, 'GET', '/'],
        [2, 0, 3, 'GET', '/'],
      ],
    );
    assert.deepEqual(leaks.findings[0]!.differences, [
      'body: "count=2" on the reused instance, "count=1" on a fresh one',
    ]);
    assert.equal(leaks.byInstance.get(0), 2);
    assert.equal(leaks.byInstance.has(1), false, 'instance 1 had no finding (its replay was skipped)');
    assert.ok(
      state.instances.retired.some((r) => r.instanceId === 0 && r.exit !== null),
      'instance 0 had retired',
    );
    assert.deepEqual([...leaks.byRequest.keys()].sort(), [1, 2]);
    assert.equal(leaks.byRequest.get(2), leaks.findings[1]);
    assert.deepEqual(findingsFor(leaks, 0), leaks.findings);
    assert.deepEqual(findingsFor(leaks, 1), []);
    assert.equal(leaks.settings?.mode, 'off', 'settings come from the snapshot (the test snapshot has the defaults)');
  });

  it('the findings do not depend on how events were batched', () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const view = (batchMs: number) => {
      const { leaks } = replay(events, batchMs);
      return JSON.stringify({
        ...leaks,
        byInstance: [...leaks.byInstance],
        byRequest: [...leaks.byRequest.keys()],
        memory: [...leaks.memory],
        growth: [...leaks.growth],
      });
    };
    assert.equal(view(1), view(50));
    assert.equal(view(1), view(10_000));
  });

  it('hello with --leak-check all: the replays agree, nothing is found', () => {
    const { leaks } = replay(loadFixture('hello-leak-check.jsonl'));
    assert.deepEqual([leaks.checked, leaks.same, leaks.leaks, leaks.errors], [2, 2, 0, 0]);
    assert.deepEqual(leaks.findings, []);
    assert.equal(leaks.byInstance.size, 0);
    assert.deepEqual(leaks.skipped, { 'replays-busy': 1 });
  });

  it('grow: the live card has a curve point per request, and a growth warning of 64 KiB/request', () => {
    const events = loadFixture('grow-reuse50.jsonl');
    const beforeExit = upToSeq(events, seqOf(events, (e) => e.type === 'worker.exit') - 1);
    const { leaks } = replay(beforeExit);
    const curve = leaks.memory.get(0)!;
    assert.deepEqual(
      curve.map((p) => p.requestsDone),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(
      curve.map((p) => p.bytes / KiB),
      [128, 192, 256, 320, 384, 448, 512, 576, 640, 704],
    );
    const warning = leaks.growth.get(0)!;
    assert.deepEqual(
      [warning.bytesPerRequest, warning.fromBytes / KiB, warning.toBytes / KiB, warning.requests],
      [64 * KiB, 256, 576, 5],
    );

    // The warning came after the 8th request: not before.
    const beforeWarning = replay(upToSeq(events, seqOf(events, (e) => e.type === 'worker.memory_growth') - 1));
    assert.equal(beforeWarning.leaks.growth.size, 0);

    // Once the instance retired, its curve goes and its warning stays.
    const done = replay(events).leaks;
    assert.equal(done.memory.size, 0);
    assert.equal(done.growth.get(0)!.bytesPerRequest, 64 * KiB);
  });

  it('counter: memory is reported once (it never changes), so the drawn curve holds the size up to now', () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const mid = replay(upToSeq(events, seqOf(events, (e) => e.type === 'worker.exit') - 1));
    const points = mid.leaks.memory.get(0)!;
    assert.deepEqual(points, [{ requestsDone: 1, bytes: 64 * KiB }]);
    assert.deepEqual(memoryCurve(points, 3), [
      { requestsDone: 1, bytes: 64 * KiB },
      { requestsDone: 3, bytes: 64 * KiB },
    ]);
    assert.deepEqual(memoryCurve(points, 1), points);
    assert.deepEqual(memoryCurve([], 5), []);
  });

  it('a new run starts afresh; a snapshot of the same run keeps the findings and brings the settings', () => {
    const state = replay(loadFixture('counter-leaks-reuse3.jsonl'));
    const all = { ...DEFAULT_LEAK_DETECTION, mode: 'all' as const };
    const same = applySnapshot(state, emptySnapshot({ t: 5000, leakDetection: all }), 0);
    assert.equal(same.leaks.findings.length, 2);
    assert.equal(same.leaks.settings?.mode, 'all');

    const other = emptySnapshot({ t: 5000, leakDetection: all });
    other.component = { ...other.component!, spec: 'demo:hello', name: 'hello' };
    const fresh = applySnapshot(state, other, 0);
    assert.deepEqual(
      [fresh.leaks.checked, fresh.leaks.findings.length, fresh.leaks.byInstance.size, fresh.leaks.byRequest.size],
      [0, 0, 0, 0],
    );
    assert.equal(fresh.leaks.settings?.mode, 'all');
  });

  it('a snapshot taken mid-run starts the curve of an instance not measured yet from its size', () => {
    const snapshot = emptySnapshot({
      t: 100,
      instances: [
        {
          instanceId: 4,
          status: 'Requests',
          available: false,
          unavailableWhy: 'concurrency-limit',
          draining: false,
          reuseCount: 7,
          inFlight: 1,
          createdAt: 10,
          memoryBytes: 192 * KiB,
        },
        startingInstance(5, 90),
      ],
    });
    const state = applySnapshot(replay([]), snapshot, 0);
    assert.deepEqual(state.leaks.memory.get(4), [{ requestsDone: 6, bytes: 192 * KiB }]);
    assert.equal(state.leaks.memory.has(5), false);
  });

  it("clear history: findings and counts go, the settings and live instances' warnings stay", () => {
    const events = loadFixture('grow-reuse50.jsonl');
    const live = replay(upToSeq(events, seqOf(events, (e) => e.type === 'worker.exit') - 1));
    const withSettings = {
      ...live,
      leaks: { ...live.leaks, settings: { ...DEFAULT_LEAK_DETECTION, mode: 'sample' as const } },
    };
    const cleared = clearHistory(withSettings);
    assert.equal(cleared.leaks.settings?.mode, 'sample');
    assert.equal(cleared.leaks.growth.get(0)?.bytesPerRequest, 64 * KiB, 'instance 0 is still live');
    assert.equal(cleared.leaks.memory.get(0)?.length, 10);

    const counter = clearHistory(replay(loadFixture('counter-leaks-reuse3.jsonl')));
    assert.deepEqual(
      [counter.leaks.checked, counter.leaks.skippedTotal, counter.leaks.findings.length, counter.leaks.byInstance.size],
      [0, 0, 0, 0],
    );
  });

  it('a batch without leak or memory events keeps the same slice object', () => {
    const state = replay(loadFixture('counter-leaks-reuse3.jsonl'));
    const requestEvents = loadFixture('counter-reuse3.jsonl').filter((e) => e.type.startsWith('request.'));
    assert.equal(applyLeakEvents(state.leaks, requestEvents), state.leaks);
    assert.equal(applyEventBatch(state, [], null, 0, 1).leaks, state.leaks);
  });

  it('findings and their request lookup stay capped together', () => {
    const recorded = loadFixture('counter-leaks-reuse3.jsonl').find((e) => e.type === 'leak.checked')!;
    const many = Array.from({ length: LIMITS.leakFindings + 30 }, (_, i) => ({
      ...recorded,
      requestId: 1000 + i,
      t: 1000 + i,
      seq: 1000 + i,
    }));
    const leaks = applyLeakEvents(initialLeaks, many);
    assert.equal(leaks.findings.length, LIMITS.leakFindings);
    assert.equal(leaks.byRequest.size, LIMITS.leakFindings);
    assert.equal(leaks.findings[0]!.requestId, 1000 + LIMITS.leakFindings + 29);
    assert.equal(leaks.byRequest.has(1000), false, 'the oldest finding went, and its lookup with it');
    assert.equal(leaks.leaks, LIMITS.leakFindings + 30, 'counts are not capped');
    assert.equal(leaks.byInstance.get(0), LIMITS.leakFindings + 30);
  });

  it('a long curve is thinned, keeping its first and last point', () => {
    const recorded = loadFixture('grow-reuse50.jsonl').find((e) => e.type === 'worker.memory')!;
    const many = Array.from({ length: 1000 }, (_, i) => ({
      ...recorded,
      requestsDone: i + 1,
      bytes: (i + 2) * 64 * KiB,
      seq: i,
    }));
    const curve = applyLeakEvents(initialLeaks, many).memory.get(0)!;
    assert.ok(
      curve.length <= LIMITS.memoryPointsPerInstance && curve.length > LIMITS.memoryPointsPerInstance / 4,
      `${curve.length} points`,
    );
    assert.equal(curve[0]!.requestsDone, 1);
    assert.equal(curve.at(-1)!.requestsDone, 1000);
    for (let i = 1; i < curve.length; i++) assert.ok(curve[i]!.requestsDone > curve[i - 1]!.requestsDone);
  });

  it('the recorded difference lines read back into reused and fresh values', () => {
    const { leaks } = replay(loadFixture('counter-leaks-reuse3.jsonl'));
    assert.deepEqual(
      leaks.findings.map((f) => parseDifference(f.differences[0]!)),
      [
        { what: 'body', reused: { text: 'count=2', quoted: true }, fresh: { text: 'count=1', quoted: true } },
        { what: 'body', reused: { text: 'count=3', quoted: true }, fresh: { text: 'count=1', quoted: true } },
      ],
    );
  });
});

describe('failed on reuse', () => {
  it('a reused instance that failed where a fresh one answered is a finding of its own kind, with how it failed', () => {
    const failure =
      'failed (trap): guest never invoked `response-outparam::set` method: wasm trap: wasm `unreachable` instruction executed';
    const event: PoolEvent = {
      type: 'leak.checked',
      requestId: 1,
      instanceId: 0,
      reuseIndex: 2,
      method: 'GET',
      uri: '/',
      requestHeaders: [['host', '127.0.0.1:8080']],
      requestBodyBytes: 0,
      verdict: 'failed-on-reuse',
      differences: [`outcome: ${JSON.stringify(failure)} on the reused instance, 200 on a fresh one`],
      message: failure,
      replayMs: 90,
      t: 500,
      seq: 9,
    };
    const leaks = applyLeakEvents(initialLeaks, [event]);
    assert.deepEqual([leaks.checked, leaks.same, leaks.leaks, leaks.failedOnReuse, leaks.errors], [1, 0, 1, 1, 0]);
    const [finding] = leaks.findings;
    assert.equal(finding!.kind, 'failed-on-reuse');
    assert.equal(finding!.failure, failure);
    assert.equal(leaks.byRequest.get(1), finding);
    assert.equal(leaks.byInstance.get(0), 1);
    // The diff view reads the outcome line like any other difference.
    const parsed = parseDifference(finding!.differences[0]!);
    assert.deepEqual([parsed?.what, parsed?.reused.text, parsed?.fresh.text], ['outcome', failure, '200']);
  });
});

describe('what the detector checked, in words', () => {
  it('8 sequential requests with the replay queue: 7 of 7 reused answers checked, one had waited in the queue', () => {
    const events = loadFixture('counter-leak-queue.jsonl');
    const { leaks } = replay(events);
    assert.deepEqual(leakCoverage(leaks), { checked: 7, of: 7, skipped: 0, reasons: [], pending: 0 });
    assert.equal(coverageText(leakCoverage(leaks), 'all'), 'checked 7 of 7 reused answers');
    assert.equal(leaks.checkedByInstance.get(0), 7);
    assert.equal(badgeText(leaks.byInstance.get(0) ?? 0, leaks.checkedByInstance.get(0) ?? 0), '7 leaks in 7 checked');
    // After the first verdict, the second reused answer was still queued: it is counted as pending.
    const firstCheck = seqOf(events, (e) => e.type === 'leak.checked');
    const early = replay(upToSeq(events, firstCheck)).leaks;
    assert.equal(early.pending, 1);
    assert.equal(coverageText(leakCoverage(early), 'all'), 'checked 1 of 2 reused answers (1 pending)');
  });

  it('skips are said with their reasons, largest first (an older recording: replays busy)', () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const { leaks } = replay(events);
    assert.equal(coverageText(leakCoverage(leaks), 'all'), 'checked 2 of 3 reused answers (1 skipped: 1 replays busy)');
    const last = events[events.length - 1]!;
    const more = applyLeakEvents(leaks, [
      {
        type: 'leak.skipped',
        counts: { 'queue-full': 3, 'unsafe-method': 1 },
        pending: 2,
        t: last.t + 1000,
        seq: last.seq + 1,
      },
    ]);
    assert.equal(
      coverageText(leakCoverage(more), 'sample'),
      'checked 2 of 9 sampled reused answers (5 skipped: 3 queue full, 1 replays busy, 1 unsafe method; 2 pending)',
    );
  });

  it("the badge says how many of the instance's answers were checked; without a count (older data) only the leaks", () => {
    assert.equal(badgeText(1, 7), '1 leak in 7 checked');
    assert.equal(badgeText(2, 0), '2 leaks');
  });

  it('clearing history keeps the count of replays still pending', () => {
    const events = loadFixture('counter-leak-queue.jsonl');
    const firstCheck = seqOf(events, (e) => e.type === 'leak.checked');
    const state = replay(upToSeq(events, firstCheck));
    const cleared = clearHistory(state).leaks;
    assert.equal(cleared.checked, 0);
    assert.equal(cleared.checkedByInstance.size, 0);
    assert.equal(cleared.pending, 1);
  });
});
