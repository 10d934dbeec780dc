/**
 * The compare slice: two runs, A and B, each folded into a profile (`compare/profile.ts`) from a
 * recording file or the live run as recorded so far. Only the profiles are kept (bounded series
 * and a summary), not the recordings. The live dashboard goes on beneath the Compare view.
 */
import { profileOf } from '../compare/profile.ts';
import { parseRecordingText } from '../recording/format.ts';
import type { Recorder } from '../recording/recorder.ts';
import { liveData } from './replay-mode.ts';
import type { CompareSlice, CompareState, Slice } from './shape.ts';

const CLOSED: CompareState = { open: false, a: null, b: null, errors: { a: null, b: null } };

export const createCompareSlice =
  (recorder: Recorder): Slice<CompareSlice> =>
  (set, get) => ({
    compare: CLOSED,

    openCompare: () => set((s) => ({ compare: { ...s.compare, open: true } })),

    // The picked runs stay, so reopening shows the same comparison.
    closeCompare: () => set((s) => ({ compare: { ...s.compare, open: false } })),

    loadCompareFile(side, text, fileName, modifiedAt = new Date()) {
      const parsed = parseRecordingText(text, modifiedAt.toISOString());
      if (!parsed.ok) {
        const error = `Could not open ${fileName}: ${parsed.error}`;
        set((s) => ({ compare: { ...s.compare, errors: { ...s.compare.errors, [side]: error } } }));
        return { ok: false, error };
      }
      const profile = profileOf(parsed.recording, fileName);
      set((s) => ({ compare: { ...s.compare, [side]: profile, errors: { ...s.compare.errors, [side]: null } } }));
      return { ok: true };
    },

    compareLive(side) {
      const live = liveData(get());
      const recording = recorder.toRecording({ component: live.pool.component, knobs: live.pool.knobs });
      if (!recording) {
        const error = 'The live run has nothing recorded yet: the engine has not sent its first snapshot.';
        set((s) => ({ compare: { ...s.compare, errors: { ...s.compare.errors, [side]: error } } }));
        return { ok: false, error };
      }
      const profile = profileOf(recording, 'live run');
      set((s) => ({ compare: { ...s.compare, [side]: profile, errors: { ...s.compare.errors, [side]: null } } }));
      return { ok: true };
    },
  });
