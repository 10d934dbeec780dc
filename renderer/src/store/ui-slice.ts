/** The UI slice: what the user chose to see (theme, filters, windows) and the notice shown. */
import { DEFAULT_LOG_FILTER } from '../model/log.ts';
import type { Slice, UiSlice } from './shape.ts';

export const createUiSlice: Slice<UiSlice> = (set) => ({
  ui: {
    theme: 'system',
    logFilter: DEFAULT_LOG_FILTER,
    logPaused: false,
    timelineWindowSec: 10,
    chartWindowSec: 60,
    selectedRequest: null,
    notice: null,
  },
  setUi: (patch) => set((s) => ({ ui: { ...s.ui, ...patch } })),
  setLogFilter: (patch) => set((s) => ({ ui: { ...s.ui, logFilter: { ...s.ui.logFilter, ...patch } } })),
});
