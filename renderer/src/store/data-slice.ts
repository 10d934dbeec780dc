/**
 * The data slice: server messages go through the pure reducers (`applyServerMessage`) one whole
 * message at a time, so a batch of events is one state change and one render.
 */
import type { Recorder } from '../recording/recorder.ts';
import { applyServerMessage, copySlice, DATA_KEYS, initialData } from '../model/apply.ts';
import type { DataState } from '../model/types.ts';
import { liveData, liveWriter } from './replay-mode.ts';
import type { DataSlice, Slice } from './shape.ts';

const localNow = (): number => performance.now();

export const createDataSlice = (recorder: Recorder): Slice<DataSlice> => {
  const toLive = liveWriter(recorder);
  return (set) => ({
    ...initialData,
    receive(message) {
      set((s) => {
        // Messages go to the live data (aside while replaying) and into the session's recording.
        const live = liveData(s);
        recorder.record(message, live);
        const next = applyServerMessage(live, message, localNow());
        const changed: Partial<DataState> = {};
        for (const key of DATA_KEYS) if (next[key] !== live[key]) copySlice(changed, next, key);
        return toLive(s, changed);
      });
    },
  });
};
