/** Helpers for the recording tests: the server messages a dashboard gets for a recorded engine stream. */
import type { Gauges, ServerMessage } from '../../../protocol/index.ts';
import { applyServerMessage, initialData } from '../model/apply.ts';
import { batchesOf, gaugesAfter } from '../model/event-batches.ts';
import { emptySnapshot, loadFixture } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import { Recorder } from './recorder.ts';

export const FIXTURES = [
  'counter-reuse3.jsonl',
  'spin-timeout.jsonl',
  'trap.jsonl',
  'print-idle.jsonl',
  'sleep-parallel.jsonl',
  'fetch-outgoing.jsonl',
];

/**
 * A dashboard session on a fixture: the first snapshot, the events in 50 ms batches, and midway a
 * knob change's snapshot (not a new run) and a load-progress report.
 */
export function sessionMessages(fixture: string): ServerMessage[] {
  const events = loadFixture(fixture);
  const batches = batchesOf(events, 50);
  const first: ServerMessage = { kind: 'snapshot', snapshot: emptySnapshot() };
  const messages: ServerMessage[] = [first];
  let gauges: Gauges = emptySnapshot().gauges;
  let state = applyServerMessage(initialData, first, 0);
  batches.forEach((batch, i) => {
    gauges = gaugesAfter(batch, gauges);
    const events: ServerMessage = { kind: 'events', events: batch, gauges, dropped: 0 };
    messages.push(events);
    state = applyServerMessage(state, events, 0);
    if (i === Math.floor(batches.length / 2)) {
      // What the engine announces after a knob change: its instances as they are now.
      // biome-ignore lint/style/noNonNullAssertion: batchesOf yields no empty batch
      const t = batch[batch.length - 1]!.t + 0.5;
      const instances = [...state.instances.live.values()].map((r) => ({
        instanceId: r.instanceId,
        status: r.status,
        available: r.available,
        unavailableWhy: r.unavailableWhy,
        draining: r.draining,
        reuseCount: r.reuseCount,
        inFlight: r.inFlight,
        createdAt: r.createdAt,
        memoryBytes: r.memoryBytes,
      }));
      messages.push({
        kind: 'snapshot',
        snapshot: emptySnapshot({
          t,
          gauges,
          instances,
          knobs: { ...emptySnapshot().knobs, maxInstanceReuseCount: 7 },
        }),
      });
      messages.push({
        kind: 'load-progress',
        progress: {
          runId: 1,
          done: 3,
          errors: 0,
          rate: 10,
          finished: false,
          statusCounts: { '200': 3 },
          latencyMs: null,
        },
      });
      messages.push({ kind: 'reply', id: 1, ok: true, result: null });
    }
  });
  return messages;
}

/** What the live store does with these messages: apply each (with its receive clock) and record it. */
export function liveSession(
  messages: readonly ServerMessage[],
  recorder = new Recorder(),
): { state: DataState; recorder: Recorder } {
  let state = initialData;
  let local = 1_000_000;
  for (const m of messages) {
    recorder.record(m, state);
    state = applyServerMessage(state, m, (local += 37));
  }
  return { state, recorder };
}

/** A state without its clock (which depends on when messages arrived, not on what they said). */
export function withoutClock(state: DataState): Omit<DataState, 'clock'> {
  const { clock: _clock, ...rest } = state;
  return rest;
}
