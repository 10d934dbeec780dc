/**
 * The dashboard state at any moment of a recording. The state at engine time T is the live
 * reducers folded over the longest prefix of the recording whose items (snapshots, single events,
 * progress reports, Clear) all have t ≤ T — so it grows with T, and moving forward only applies
 * what lies between. Moving back (or far forward) starts from the nearest checkpoint, kept once
 * per `checkpointEvents` events while moving forward.
 */
import { MAX_EVENTS_PER_BATCH } from '../../../protocol/index.ts';
import { applyEventBatch, applyServerMessage, clearHistory, initialData } from '../model/apply.ts';
import { gaugesAfter } from '../model/event-batches.ts';
import type { DataState } from '../model/types.ts';
import type { RecordedMessage, Recording, RecordingEntry } from './format.ts';

export const CHECKPOINT_EVENTS = 10_000;

type EventsMessage = Extract<RecordedMessage, { kind: 'events' }>;
type BatchEntry = { t: number; message: EventsMessage };

interface Checkpoint {
  /** Entries before this one are applied, and no part of it. */
  entry: number;
  /** Highest item time among them: the checkpoint serves any T at or after it. */
  maxT: number;
  applied: number;
  state: DataState;
}

const isBatch = (e: RecordingEntry): e is BatchEntry =>
  'message' in e && e.message.kind === 'events' && e.message.events.length > 0;

/** Time of a batch's last event (`isBatch`: it has one). */
function lastEventT(batch: BatchEntry): number {
  const { events } = batch.message;
  // biome-ignore lint/style/noNonNullAssertion: a batch entry holds at least one event
  return events[events.length - 1]!.t;
}

/** Time of an entry that is applied whole (anything but a non-empty event batch). */
function entryTime(entry: RecordingEntry): number {
  return 'message' in entry && entry.message.kind === 'snapshot' ? entry.message.snapshot.t : entry.t;
}

export class Replayer {
  readonly recording: Recording;
  readonly #entries: readonly RecordingEntry[];
  readonly #checkpointEvents: number;
  /** The first is the start of the recording, so there always is one. */
  readonly #checkpoints: [Checkpoint, ...Checkpoint[]];
  /** One checkpoint per `checkpointEvents` events, wherever the forward pass happened to be. */
  readonly #buckets = new Set<number>([0]);
  #state: DataState = initialData;
  /** The next item to apply: entry index, and event index within an event batch. */
  #entry = 0;
  #event = 0;
  #applied = 0;
  #maxT = -Infinity;
  #position = -Infinity;
  #work = 0;

  constructor(recording: Recording, checkpointEvents = CHECKPOINT_EVENTS) {
    this.recording = recording;
    this.#entries = recording.messages;
    this.#checkpointEvents = checkpointEvents;
    this.#checkpoints = [{ entry: 0, maxT: -Infinity, applied: 0, state: initialData }];
  }

  /** Events applied at the current position. */
  get eventsApplied(): number {
    return this.#applied;
  }

  get position(): number {
    return this.#position;
  }

  /** Events the last seek had to apply (what checkpoints keep small). */
  get lastSeekWork(): number {
    return this.#work;
  }

  /** The dashboard state at engine time `t`; its clock says `t`, so views draw that moment. */
  seek(t: number): DataState {
    this.#work = 0;
    const checkpoint = this.#checkpointFor(t);
    // Back: restart from the checkpoint. Far forward: jump to it rather than apply what lies between.
    if (t < this.#position || checkpoint.entry > this.#entry) this.#restore(checkpoint);
    this.#advance(t);
    this.#position = t;
    return { ...this.#state, clock: { offset: null, maxT: t } };
  }

  /** The furthest checkpoint that position `t` is at or after. */
  #checkpointFor(t: number): Checkpoint {
    let best = this.#checkpoints[0];
    for (const c of this.#checkpoints) if (c.maxT <= t && c.entry > best.entry) best = c;
    return best;
  }

  #restore(c: Checkpoint): void {
    this.#entry = c.entry;
    this.#event = 0;
    this.#applied = c.applied;
    this.#maxT = c.maxT;
    this.#state = c.state;
  }

  #advance(t: number): void {
    const entries = this.#entries;
    while (this.#entry < entries.length) {
      // biome-ignore lint/style/noNonNullAssertion: this.#entry < entries.length
      const entry = entries[this.#entry]!;
      if (isBatch(entry)) {
        if (this.#event === 0 && this.#applyWholeBatches(t)) continue;
        if (!this.#applyEvents(entry.message, t)) return;
      } else {
        const time = entryTime(entry);
        if (time > t) return;
        this.#state =
          'action' in entry ? clearHistory(this.#state) : applyServerMessage(this.#state, entry.message, time);
        // A late-opened page's recording starts with the engine's history: applied at once, counted too.
        if ('message' in entry && entry.message.kind === 'snapshot')
          this.#applied += entry.message.snapshot.history?.events.length ?? 0;
        this.#maxT = Math.max(this.#maxT, time);
      }
      this.#nextEntry();
    }
  }

  /**
   * Consecutive batches that lie wholly before `t`, applied in one reducer call: the reducers copy
   * their containers once per call, so a quiet hour of tiny batches costs no more than one big
   * batch. (What the live dashboard did per batch, it does here once; the reducers' results are
   * the same.) Stops at a checkpoint boundary, so checkpoints stay evenly spread. False if fewer
   * than two batches qualify.
   */
  #applyWholeBatches(t: number): boolean {
    const entries = this.#entries;
    const bucket = Math.floor(this.#applied / this.#checkpointEvents);
    const batches: BatchEntry[] = [];
    let count = 0;
    for (
      let e = entries[this.#entry];
      e && isBatch(e) && lastEventT(e) <= t;
      e = entries[this.#entry + batches.length]
    ) {
      const next = count + e.message.events.length;
      if (
        count > 0 &&
        (next > MAX_EVENTS_PER_BATCH || Math.floor((this.#applied + next) / this.#checkpointEvents) !== bucket)
      )
        break;
      count = next;
      batches.push(e);
    }
    if (batches.length < 2) return false;
    const end = this.#entry + batches.length;
    const events = batches.flatMap((b) => b.message.events);
    // biome-ignore lint/style/noNonNullAssertion: batches.length ≥ 2
    const last = batches[batches.length - 1]!;
    const dropped = batches.reduce((sum, b) => sum + b.message.dropped, 0);
    const lastT = lastEventT(last);
    this.#state = applyEventBatch(this.#state, events, last.message.gauges, dropped, lastT);
    this.#applied += events.length;
    this.#work += events.length;
    this.#maxT = Math.max(this.#maxT, lastT);
    this.#entry = end - 1;
    this.#nextEntry();
    return true;
  }

  /** Applies the batch's events up to `t`; true when the whole batch is now applied. */
  #applyEvents(message: EventsMessage, t: number): boolean {
    const { events } = message;
    const from = this.#event;
    let end = from;
    // biome-ignore lint/style/noNonNullAssertion: end < events.length
    while (end < events.length && events[end]!.t <= t) end++;
    if (end > from) {
      const whole = end === events.length;
      const slice = from === 0 && whole ? events : events.slice(from, end);
      // The batch's gauges and drop count belong to its end; a part carries what its events say.
      const gauges = whole ? message.gauges : gaugesAfter(slice, null);
      // biome-ignore lint/style/noNonNullAssertion: end > from, so the slice holds an event
      const lastT = slice[slice.length - 1]!.t;
      this.#state = applyEventBatch(this.#state, slice, gauges, whole ? message.dropped : 0, lastT);
      this.#applied += end - from;
      this.#work += end - from;
      this.#maxT = Math.max(this.#maxT, lastT);
    }
    this.#event = end;
    return end === events.length;
  }

  #nextEntry(): void {
    this.#entry++;
    this.#event = 0;
    const bucket = Math.floor(this.#applied / this.#checkpointEvents);
    if (this.#buckets.has(bucket)) return;
    this.#buckets.add(bucket);
    this.#checkpoints.push({ entry: this.#entry, maxT: this.#maxT, applied: this.#applied, state: this.#state });
  }
}
