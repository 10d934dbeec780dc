import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { PoolEvent } from '../../../protocol/index.ts';
import { percentile } from '../model/charts.ts';
import { loadFixture } from '../model/test-support.ts';
import { recordingFromEvents, type Recording } from '../recording/format.ts';
import { liveSession, sessionMessages } from '../recording/test-streams.ts';
import { knobChanges, knobRows, summaryRows } from './diff.ts';
import { failureKindsOf, overlay } from './overlay.ts';
import { MAX_PROFILE_SECONDS, profileOf } from './profile.ts';

/** An event stream this folder's fixtures hold (recorded from the real engine, see fixtures/README.md). */
function compareFixture(name: string): PoolEvent[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PoolEvent);
}

const recordingOf = (events: PoolEvent[]): Recording => recordingFromEvents(events, '2026-12-01T10:00:00.000Z');
const count = (events: readonly PoolEvent[], type: PoolEvent['type']): number =>
  events.filter((e) => e.type === type).length;

describe('profileOf: a recording as per-second series and a summary', () => {
  const reuse1 = compareFixture('counter-reuse1.jsonl');
  const reuse128 = compareFixture('counter-reuse128.jsonl');
  const a = profileOf(recordingOf(reuse1), 'reuse1');
  const b = profileOf(recordingOf(reuse128), 'reuse128');

  it('with reuse 1 every request starts an instance; with 128 one instance serves them all', () => {
    assert.equal(a.summary.received, count(reuse1, 'request.received'));
    assert.equal(a.summary.completed, 8);
    assert.equal(a.summary.started, a.summary.completed, 'instances started = requests served');
    assert.equal(a.summary.started, count(reuse1, 'worker.spawned'));
    assert.equal(a.summary.servedPerExit, 1);
    assert.equal(b.summary.completed, 8);
    assert.equal(b.summary.started, 1);
    assert.equal(b.summary.exited, 1);
    assert.equal(b.summary.servedPerExit, 8);
  });

  it('the series cover every second of the run, and add up to the totals', () => {
    for (const [profile, events] of [
      [a, reuse1],
      [b, reuse128],
    ] as const) {
      const first = Math.floor(events[0]!.t / 1000);
      const last = Math.floor(events.at(-1)!.t / 1000);
      assert.deepEqual(
        profile.points.map((p) => p.x),
        Array.from({ length: last - first + 1 }, (_, i) => i),
      );
      assert.equal(
        profile.points.reduce((n, p) => n + p.ok, 0),
        profile.summary.completed,
      );
      assert.equal(profile.points.at(-1)!.started, profile.summary.started, 'cumulative');
      assert.equal(Math.max(...profile.points.map((p) => p.live)), profile.summary.peakLive);
    }
  });

  it("each second's percentiles are those of the requests completed in it", () => {
    const first = Math.floor(reuse1[0]!.t / 1000);
    for (const p of a.points) {
      const durations = reuse1
        .filter((e) => e.type === 'request.completed' && Math.floor(e.t / 1000) - first === p.x)
        .map((e) => (e.type === 'request.completed' ? e.durationMs : 0));
      assert.equal(p.p50, percentile(durations, 50));
      assert.equal(p.p99, percentile(durations, 99));
    }
    const all = reuse1.flatMap((e) => (e.type === 'request.completed' ? [e.durationMs] : []));
    assert.equal(a.summary.p99, Math.max(...all));
  });

  it('leak findings, by the leak reducer, and where they happened', () => {
    const events = loadFixture('counter-leaks-reuse3.jsonl');
    const profile = profileOf(recordingOf(events), 'leaks');
    const findings = events.filter((e) => e.type === 'leak.checked' && e.verdict !== 'same' && e.verdict !== 'error');
    assert.equal(findings.length, 2);
    assert.equal(profile.summary.leakFindings, 2);
    assert.equal(profile.summary.leakChecked, count(events, 'leak.checked'));
    assert.equal(profile.summary.leakSkipped, 1);
    assert.equal(profile.points.at(-1)!.findings, 2);
  });

  it('failures, by kind, and in the second they happened', () => {
    const trap = profileOf(recordingOf(loadFixture('trap.jsonl')), 'trap');
    const spin = profileOf(recordingOf(loadFixture('spin-timeout.jsonl')), 'spin');
    assert.deepEqual(trap.summary.failedByKind, { trap: 2 });
    assert.deepEqual(spin.summary.failedByKind, { timeout: 1 });
    assert.equal(
      trap.points.reduce((n, p) => n + p.failed, 0),
      2,
    );
    const rows = summaryRows(spin.summary, trap.summary).filter((r) => r.key.startsWith('failed-'));
    assert.deepEqual(
      rows.map((r) => [r.key, r.aText, r.bText]),
      [
        ['failed-timeout', '1', '0'],
        ['failed-trap', '0', '2'],
      ],
      'a row for each kind either run had, in the protocol order',
    );
    // Per second: each point's kinds add up to its failures, in the seconds the engine failed them.
    for (const run of [trap, spin]) {
      for (const p of run.points) {
        assert.equal(
          Object.values(p.failedByKind).reduce((n, k) => n + (k ?? 0), 0),
          p.failed,
          `${run.label} second ${p.x}`,
        );
      }
    }
    const timeoutAt = loadFixture('spin-timeout.jsonl').find((e) => e.type === 'request.failed')!;
    const x = Math.floor(timeoutAt.t / 1000) - Math.floor(loadFixture('spin-timeout.jsonl')[0]!.t / 1000);
    assert.deepEqual(spin.points[x]?.failedByKind, { timeout: 1 });
    // The failures chart singles out a kind: the other run's seconds read 0 for it, not a gap.
    assert.deepEqual(failureKindsOf(spin, trap), ['timeout', 'trap']);
    const traps = overlay(spin, trap, 'failed', false, 'trap');
    assert.equal(
      traps.reduce((n, r) => n + (r.b ?? 0), 0),
      2,
    );
    assert.ok(traps.every((r) => r.a === null || r.a === 0));
    assert.equal(
      overlay(spin, trap, 'failed', false, 'timeout').reduce((n, r) => n + (r.a ?? 0), 0),
      1,
    );
  });

  it('a dashboard recording: knobs at the end, and that they changed midway', () => {
    const { recorder } = liveSession(sessionMessages('counter-reuse3.jsonl'));
    const recording = recorder.toRecording({ component: null, knobs: null })!;
    const profile = profileOf(recording, 'live');
    assert.equal(profile.knobs?.maxInstanceReuseCount, 7, 'the knob change snapshot');
    assert.equal(profile.knobsChanged, true);
    assert.equal(profile.component?.name, 'counter', 'from the snapshot when the file names none');
    assert.equal(profile.summary.completed, 5);
  });

  it('a long run: segments of the charts reducer join up, and the series stops at its bound', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const half = Math.ceil(events.length / 2);
    // The same real stream with a 500 s pause in the middle, then a recording that runs 2 h.
    const paused = events.map((e, i) => (i < half ? e : { ...e, t: e.t + 500_000 }));
    const long = recordingOf(paused);
    const profile = profileOf(long, 'paused');
    assert.equal(
      profile.points.reduce((n, p) => n + p.ok, 0),
      5,
    );
    assert.equal(profile.points.length, Math.floor(long.endT / 1000) - Math.floor(long.startT / 1000) + 1);
    // The instance is live across the pause: carried over every segment.
    assert.ok(profile.points.slice(1, -1).every((p) => p.live >= 1));
    const longer = profileOf({ ...long, endT: long.startT + 2 * 3600_000 }, 'long');
    assert.equal(longer.points.length, MAX_PROFILE_SECONDS);
    assert.equal(longer.cut, true);
    assert.equal(longer.summary.completed, 5, 'the summary still covers the whole run');
  });
});

describe('diff: two runs as table rows', () => {
  const a = profileOf(recordingOf(compareFixture('counter-reuse1.jsonl')), 'a');
  const b = profileOf(recordingOf(compareFixture('counter-reuse128.jsonl')), 'b');

  it('instances started: 8 → 1, B minus A and B over A', () => {
    const started = summaryRows(a.summary, b.summary).find((r) => r.key === 'started')!;
    assert.deepEqual([started.aText, started.bText, started.delta, started.ratio], ['8', '1', '−7', '×0.13']);
  });

  it('knob rows: a change reads "Max reuse: 1 → 128"; a run without knobs shows —', () => {
    const { recorder } = liveSession(sessionMessages('counter-reuse3.jsonl'));
    const knobs = profileOf(recorder.toRecording({ component: null, knobs: null })!, 'x').knobs!;
    const rows = knobRows({ ...knobs, maxInstanceReuseCount: 1 }, { ...knobs, maxInstanceReuseCount: 128 });
    assert.deepEqual(knobChanges(rows), ['Max reuse: 1 → 128']);
    assert.equal(rows.filter((r) => r.changed).length, 1);
    const none = knobRows(a.knobs, knobs);
    assert.equal(a.knobs, null, 'an event file carries no knobs');
    assert.ok(none.every((r) => r.a === '—' && !r.changed));
  });
});

describe('overlay: both runs on one axis', () => {
  const a = profileOf(recordingOf(compareFixture('counter-reuse1.jsonl')), 'a');
  const b = profileOf(recordingOf(compareFixture('counter-reuse128.jsonl')), 'b');

  it('one row a second of the longer run; the shorter one is null past its end', () => {
    const rows = overlay(a, b, 'ok');
    assert.equal(rows.length, Math.max(a.points.length, b.points.length));
    for (const r of rows) {
      assert.equal(r.a, a.points[r.x]?.ok ?? null);
      assert.equal(r.b, b.points[r.x]?.ok ?? null);
    }
  });

  it('a stepped measure holds each run’s last value to the end of its last second', () => {
    const rows = overlay(a, null, 'started', true);
    assert.equal(rows.length, a.points.length + 1);
    assert.equal(rows.at(-1)!.a, 8);
    assert.equal(rows.at(-1)!.b, null);
  });
});
