/**
 * The replay slice: the live session's recording (kept by a `Recorder` as messages arrive), its
 * export, and replaying an opened recording with a time scrubber. While a recording is shown the
 * data keys hold the recorded moment and the live data waits, kept current, in `replay.live`;
 * leaving the replay puts it back as it is by then.
 */
import type { StateCreator } from 'zustand';
import type { CommandInput } from '../../../protocol/index.ts';
import { parseRecordingText, toJson, type Recording, type RecordingSource } from '../recording/format.ts';
import { Recorder, type RecorderStatus } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { DATA_KEYS } from './apply.ts';
import type { Store } from './store.ts';
import type { DataState } from './types.ts';

/** The live session's recorder: one per dashboard, like the store. */
export const recorder = new Recorder();
/** The opened recording's replayer (mutable, so outside the state). */
let replayer: Replayer | null = null;

export const REPLAY_SPEEDS = [1, 4, 16] as const;
export const REPLAY_REFUSAL = 'A recording is being replayed: nothing is sent to the engine. Go back to live to change it.';

export interface ReplayState {
  fileName: string;
  source: RecordingSource;
  recording: Recording;
  /** Engine time shown, from `recording.startT` to `recording.endT`. */
  positionT: number;
  eventsApplied: number;
  playing: boolean;
  speed: number;
  /** The live dashboard, kept aside and up to date. */
  live: DataState;
}

export type ExportResult = { ok: true; fileName: string; text: string; eventCount: number; truncated: boolean } | { ok: false; error: string };
export type ImportResult = { ok: true } | { ok: false; error: string };

export interface ReplaySlice {
  replay: ReplayState | null;
  /** The live recording's size, for the export control. */
  recorder: RecorderStatus;
  /** The live session as a recording file (the caller saves it). */
  exportRecording(): ExportResult;
  /** Opens a recording or a JSON-lines event file and shows its end; errors become a notice. */
  importRecording(text: string, fileName: string, modifiedAt?: Date): ImportResult;
  seek(t: number): void;
  /** Playback: `realMs` of wall time passed; moves `speed` times as far, stops at the end. */
  advance(realMs: number): void;
  play(): void;
  pause(): void;
  setSpeed(speed: number): void;
  exitReplay(): void;
}

function pickData(s: DataState): DataState {
  const data: Record<string, unknown> = {};
  for (const key of DATA_KEYS) data[key] = s[key];
  return data as unknown as DataState;
}

/** The live data: on show, or kept aside while a recording is replayed. */
export function liveData(s: Store): DataState {
  return s.replay ? s.replay.live : s;
}

/** A change to the live data, put where the live data is; also refreshes the recorder's status. */
export function toLive(s: Store, change: Partial<DataState>): Partial<Store> {
  const status = recorder.status;
  const same = s.recorder.eventCount === status.eventCount && s.recorder.truncated === status.truncated && s.recorder.started === status.started;
  const patch: Partial<Store> = same ? {} : { recorder: status };
  if (!s.replay) return { ...change, ...patch };
  return { ...patch, replay: { ...s.replay, live: { ...s.replay.live, ...change } } };
}

/** Commands that would change the engine are refused while replaying (a snapshot only reads). */
export function refusedWhileReplaying(s: Store, command: CommandInput): boolean {
  return s.replay !== null && command.type !== 'snapshot';
}

/** `poolscope-counter-2026-11-25T10-34-44Z.poolscope.json` */
export function recordingFileName(recording: Recording): string {
  const name = (recording.component?.name ?? 'session').replace(/[^A-Za-z0-9_-]+/g, '-') || 'session';
  const stamp = recording.exportedAt.replace(/\.\d+(?=Z$)/, '').replace(/:/g, '-');
  return `poolscope-${name}-${stamp}.poolscope.json`;
}

const clamp = (t: number, r: Recording): number => Math.min(r.endT, Math.max(r.startT, t));

export const createReplaySlice: StateCreator<Store, [], [], ReplaySlice> = (set, get) => {
  /** Shows the recording at `t` (clamped), with any other replay changes. */
  const show = (t: number, patch: Partial<ReplayState> = {}): void => {
    const r = get().replay;
    if (!r || !replayer) return;
    const positionT = clamp(t, r.recording);
    const data = replayer.seek(positionT);
    set({ ...data, replay: { ...r, ...patch, positionT, eventsApplied: replayer.eventsApplied } });
  };

  return {
    replay: null,
    recorder: recorder.status,

    exportRecording() {
      const live = liveData(get());
      const recording = recorder.toRecording({ component: live.pool.component, knobs: live.pool.knobs });
      if (!recording) return { ok: false, error: 'nothing recorded yet: the engine has not sent its first snapshot' };
      return { ok: true, fileName: recordingFileName(recording), text: toJson(recording), eventCount: recording.eventCount, truncated: recording.truncated };
    },

    importRecording(text, fileName, modifiedAt = new Date()) {
      const parsed = parseRecordingText(text, modifiedAt.toISOString());
      if (!parsed.ok) {
        const error = `Could not open ${fileName}: ${parsed.error}`;
        set((s) => ({ ui: { ...s.ui, notice: error } }));
        return { ok: false, error };
      }
      const s = get();
      const { recording, source } = parsed;
      replayer = new Replayer(recording);
      const data = replayer.seek(recording.endT); // the whole story first; also lays the checkpoints
      set({
        ...data,
        replay: {
          fileName,
          source,
          recording,
          positionT: recording.endT,
          eventsApplied: replayer.eventsApplied,
          playing: false,
          speed: s.replay?.speed ?? 1,
          live: s.replay ? s.replay.live : pickData(s),
        },
        ui: { ...s.ui, notice: null },
      });
      return { ok: true };
    },

    seek: (t) => show(t),

    advance(realMs) {
      const r = get().replay;
      if (!r?.playing) return;
      const t = r.positionT + realMs * r.speed;
      show(t, t >= r.recording.endT ? { playing: false } : {});
    },

    play() {
      const r = get().replay;
      if (!r) return;
      // At the end, play from the start again.
      show(r.positionT >= r.recording.endT ? r.recording.startT : r.positionT, { playing: true });
    },

    pause() {
      const r = get().replay;
      if (r?.playing) set({ replay: { ...r, playing: false } });
    },

    setSpeed(speed) {
      const r = get().replay;
      if (r) set({ replay: { ...r, speed } });
    },

    exitReplay() {
      const r = get().replay;
      if (!r) return;
      replayer = null;
      set({ ...r.live, replay: null });
    },
  };
};
