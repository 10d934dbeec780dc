/**
 * Keeps what the live dashboard received since its last reset, so it can be exported as a
 * recording. It follows the store's own reset rule (`isNewRun`, or a reset the store was told to
 * do), so a recording always starts with the snapshot that started the pool shown, and replaying
 * it from an empty dashboard rebuilds what the live dashboard shows.
 */
import type { ServerMessage, Snapshot } from '../../../protocol/index.ts';
import { isNewRun } from '../model/pool.ts';
import type { DataState } from '../model/types.ts';
import { RECORDING_FORMAT, RECORDING_VERSION, type Recording, type RecordingEntry } from './format.ts';

/** Events a recording holds at most (~100 MB of events in memory); beyond, it stops and says so. */
export const MAX_RECORDED_EVENTS = 500_000;

export interface RecorderStatus {
  /** Events recorded so far. */
  eventCount: number;
  truncated: boolean;
  /** False until the first snapshot: nothing to export yet. */
  started: boolean;
}

export class Recorder {
  readonly #maxEvents: number;
  #entries: RecordingEntry[] = [];
  #eventCount = 0;
  #truncated = false;

  constructor(maxEvents = MAX_RECORDED_EVENTS) {
    this.#maxEvents = maxEvents;
  }

  get status(): RecorderStatus {
    return { eventCount: this.#eventCount, truncated: this.#truncated, started: this.#entries.length > 0 };
  }

  /**
   * Call with each server message the live state is about to apply, and that state (before it).
   * A snapshot that the store treats as a new run restarts the recording, exactly as it resets the store.
   */
  record(message: ServerMessage, before: DataState): void {
    switch (message.kind) {
      case 'snapshot':
        if (isNewRun(before.pool, message.snapshot, before.clock.maxT)) this.restart(message.snapshot);
        // A reconnect's snapshot carries the engine's history, which replaces the page's: counted too.
        else this.#push({ t: message.snapshot.t, message }, message.snapshot.history?.events.length ?? 0);
        return;
      case 'events': {
        const last = message.events[message.events.length - 1];
        if (!last && message.dropped === 0) return;
        if (
          this.#entries.length > 0 &&
          !this.#truncated &&
          this.#eventCount + message.events.length > this.#maxEvents
        ) {
          this.#truncated = true; // stop here: a recording with a gap would replay wrong
          return;
        }
        this.#push({ t: last?.t ?? before.clock.maxT, message }, message.events.length);
        return;
      }
      case 'reply':
        return;
      default:
        // Progress reports (load, scenarios) carry no time: they happened at the newest time seen.
        this.#push({ t: before.clock.maxT, message });
        return;
    }
  }

  /** The store reset for a new pool on its own (its `load`): start over from that snapshot. */
  restart(snapshot: Snapshot): void {
    this.#entries = [{ t: snapshot.t, message: { kind: 'snapshot', snapshot } }];
    // A late-opened page's first snapshot carries the engine's history: its events are recorded too.
    this.#eventCount = snapshot.history?.events.length ?? 0;
    this.#truncated = false;
  }

  /** The user's Clear: the live dashboard forgot its history at engine time `t`. */
  clearHistory(t: number): void {
    this.#push({ t, action: 'clearHistory' });
  }

  /** The recording so far (entries are shared, not copied: they are never changed once recorded). */
  toRecording(meta: Pick<Recording, 'component' | 'knobs'>, exportedAt: Date = new Date()): Recording | null {
    const first = this.#entries[0];
    if (!first) return null;
    let endT = first.t;
    for (const e of this.#entries) endT = Math.max(endT, e.t);
    return {
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      exportedAt: exportedAt.toISOString(),
      component: meta.component,
      knobs: meta.knobs,
      startT: first.t,
      endT,
      eventCount: this.#eventCount,
      truncated: this.#truncated,
      messages: this.#entries.slice(),
    };
  }

  /** Nothing is recorded before the first snapshot (the store resets on it anyway), or once full. */
  #push(entry: RecordingEntry, events = 0): void {
    if (this.#entries.length === 0 || this.#truncated) return;
    this.#entries.push(entry);
    this.#eventCount += events;
  }
}
