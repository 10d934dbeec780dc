/**
 * Joining consecutive event batches (what the page's pacer does before the reducers run) must
 * leave the dashboard exactly as applying each batch would: checked on recorded engine streams,
 * in batches finer than the engine's so there is much to join, with snapshots, load progress and
 * replies in between.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Gauges, ServerMessage } from '../../../protocol/index.ts';
import { FIXTURES, sessionMessages } from '../recording/test-streams.ts';
import { applyServerMessage, initialData } from './apply.ts';
import { batchesOf, coalesceMessages, gaugesAfter } from './event-batches.ts';
import { emptySnapshot, loadFixture } from './test-support.ts';
import type { DataState } from './types.ts';

const applyAll = (messages: readonly ServerMessage[]): DataState =>
  messages.reduce((state, m) => applyServerMessage(state, m, 0), initialData);

/** A fixture's events in 1 ms batches (several per engine batch), a drop count on some. */
function fineMessages(fixture: string): ServerMessage[] {
  const messages: ServerMessage[] = [{ kind: 'snapshot', snapshot: emptySnapshot() }];
  let gauges: Gauges = emptySnapshot().gauges;
  batchesOf(loadFixture(fixture), 1).forEach((batch, i) => {
    gauges = gaugesAfter(batch, gauges);
    messages.push({ kind: 'events', events: batch, gauges, dropped: i % 3 === 0 ? 2 : 0 });
  });
  return messages;
}

describe('coalesceMessages', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture}: the joined stream leaves the same dashboard as the batches one by one`, () => {
      for (const messages of [fineMessages(fixture), sessionMessages(fixture)]) {
        const joined = coalesceMessages(messages);
        assert.ok(joined.length < messages.length, 'there were batches to join');
        assert.deepEqual(applyAll(joined), applyAll(messages));
        // Every event is there once, in order; only runs of event batches were joined.
        const seqs = (ms: readonly ServerMessage[]): number[] =>
          ms.flatMap((m) => (m.kind === 'events' ? m.events.map((e) => e.seq) : []));
        assert.deepEqual(seqs(joined), seqs(messages));
        assert.deepEqual(
          joined.filter((m) => m.kind !== 'events'),
          messages.filter((m) => m.kind !== 'events'),
        );
        assert.ok(joined.every((m, i) => m.kind !== 'events' || joined[i + 1]?.kind !== 'events'));
      }
    });
  }

  it('sums the drops and keeps the last gauges of a run; leaves a lone batch as it was', () => {
    const g = (liveInstances: number): Gauges => ({ ...emptySnapshot().gauges, liveInstances });
    const [a, b, c] = batchesOf(loadFixture('counter-reuse3.jsonl'), 1);
    assert.ok(a && b && c);
    const first: ServerMessage = { kind: 'events', events: a, gauges: g(1), dropped: 3 };
    const progress: ServerMessage = {
      kind: 'load-progress',
      progress: { runId: 0, done: 1, errors: 0, rate: 1, finished: false, statusCounts: {}, latencyMs: null },
    };
    const joined = coalesceMessages([
      first,
      progress,
      { kind: 'events', events: b, gauges: g(2), dropped: 1 },
      { kind: 'events', events: c, gauges: g(3), dropped: 4 },
    ]);
    assert.equal(joined.length, 3);
    assert.equal(joined[0], first);
    assert.equal(joined[1], progress);
    assert.deepEqual(joined[2], { kind: 'events', events: [...b, ...c], gauges: g(3), dropped: 5 });
    assert.deepEqual(coalesceMessages([]), []);
  });
});
