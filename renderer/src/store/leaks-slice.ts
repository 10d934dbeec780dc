/**
 * The store's leak-detection slice: the `setLeakDetection` command, and what the leaks views show
 * (which tab, which instance's findings, which finding's diff), shared by the instance cards,
 * the timeline and the Leaks panel.
 */
import type { Recorder } from '../recording/recorder.ts';
import { liveData, liveWriter } from './replay-mode.ts';
import type { LeaksSlice, Slice } from './shape.ts';

export const createLeaksSlice = (recorder: Recorder): Slice<LeaksSlice> => {
  const toLive = liveWriter(recorder);
  return (set, get) => ({
    leakView: { tab: 'events', instanceId: null, requestId: null },
    showLeakView: (patch) => set((s) => ({ leakView: { ...s.leakView, ...patch } })),
    async setLeakDetection(patch) {
      const result = await get().command({ type: 'setLeakDetection', patch }, false);
      // Applied at once, so a field does not show the old value until the snapshot arrives.
      if (result.ok) {
        const settings = result.result;
        set((s) => toLive(s, { leaks: { ...liveData(s).leaks, settings } }));
      }
      return result;
    },
  });
};
