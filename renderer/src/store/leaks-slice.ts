/**
 * The store's leak-detection slice: the `setLeakDetection` command, and what the leaks views show
 * (which tab, which instance's findings, which finding's diff), shared by the instance cards,
 * the timeline and the Leaks panel.
 */
import type { StateCreator } from 'zustand';
import type { LeakDetectionPatch, LeakDetectionSettings } from '../../../protocol/index.ts';
import { liveData, toLive } from './replay-slice.ts';
import type { CommandResult, Store } from './store.ts';

export interface LeakView {
  /** The tab beside the event log. */
  tab: 'events' | 'leaks';
  /** Findings of this instance only, or all. */
  instanceId: number | null;
  /** The finding (by request id) whose diff is open. */
  requestId: number | null;
}

export interface LeaksSlice {
  leakView: LeakView;
  showLeakView(patch: Partial<LeakView>): void;
  /** Sends a patch; the reply is the merged settings (and a snapshot with them follows). */
  setLeakDetection(patch: LeakDetectionPatch): Promise<CommandResult>;
}

function isSettings(value: unknown): value is LeakDetectionSettings {
  const v = value as Partial<LeakDetectionSettings> | null;
  return !!v && typeof v === 'object' && typeof v.mode === 'string' && typeof v.sampleRate === 'number' && Array.isArray(v.ignoredHeaders);
}

export const createLeaksSlice: StateCreator<Store, [], [], LeaksSlice> = (set, get) => ({
  leakView: { tab: 'events', instanceId: null, requestId: null },
  showLeakView: (patch) => set((s) => ({ leakView: { ...s.leakView, ...patch } })),
  async setLeakDetection(patch) {
    const result = await get().command({ type: 'setLeakDetection', patch }, false);
    // Applied at once, so a field does not show the old value until the snapshot arrives.
    if (result.ok && isSettings(result.result)) {
      const settings = result.result;
      set((s) => toLive(s, { leaks: { ...liveData(s).leaks, settings } }));
    }
    return result;
  },
});
