/**
 * The replay slice: the live session's recording (kept by a `Recorder` as messages arrive), its
 * export, and replaying an opened recording with a time scrubber. While a recording is shown the
 * data keys hold the recorded moment and the live data waits, kept current, in `replay.live`;
 * leaving the replay puts it back as it is by then.
 */
import { parseRecordingText, toJson, type Recording } from '../recording/format.ts';
import type { Replayer } from '../recording/replay.ts';
import { liveData, pickData } from './replay-mode.ts';
import type { ReplaySlice, ReplayState, Slice, StoreDeps } from './shape.ts';

export const REPLAY_SPEEDS = [1, 4, 16] as const;

/** `poolscope-counter-2026-11-25T10-34-44Z.poolscope.json` */
export function recordingFileName(recording: Recording): string {
  const name = (recording.component?.name ?? 'session').replace(/[^A-Za-z0-9_-]+/g, '-') || 'session';
  const stamp = recording.exportedAt.replace(/\.\d+(?=Z$)/, '').replace(/:/g, '-');
  return `poolscope-${name}-${stamp}.poolscope.json`;
}

const clamp = (t: number, r: Recording): number => Math.min(r.endT, Math.max(r.startT, t));

export const createReplaySlice =
  ({ recorder, openReplayer }: Pick<StoreDeps, 'recorder' | 'openReplayer'>): Slice<ReplaySlice> =>
  (set, get) => {
    /** The opened recording's replayer (mutable, so outside the state). */
    let replayer: Replayer | null = null;

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
        return {
          ok: true,
          fileName: recordingFileName(recording),
          text: toJson(recording),
          eventCount: recording.eventCount,
          truncated: recording.truncated,
        };
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
        replayer = openReplayer(recording);
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
