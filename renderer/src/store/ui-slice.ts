/** The UI slice: what the user chose to see (theme, filters, windows) and the notice shown. */
import { DEFAULT_INSTANCE_SORT } from '../model/instance-table.ts';
import { DEFAULT_LOG_FILTER } from '../model/log.ts';
import { DEFAULT_TIMELINE_MAX_HEIGHT } from '../timeline/size.ts';
import { DEFAULT_TIME_VIEW } from '../time/time-view.ts';
import type { Slice, UiSlice } from './shape.ts';

export const createUiSlice: Slice<UiSlice> = (set) => ({
  ui: {
    theme: 'system',
    logFilter: DEFAULT_LOG_FILTER,
    logPaused: false,
    timeView: DEFAULT_TIME_VIEW,
    timelineMaxHeight: DEFAULT_TIMELINE_MAX_HEIGHT,
    chartWindowSec: 60,
    instancesView: 'cards',
    instanceSort: DEFAULT_INSTANCE_SORT,
    instanceTableRetired: false,
    selectedRequest: null,
    notice: null,
  },
  setUi: (patch) => set((s) => ({ ui: { ...s.ui, ...patch } })),
  setLogFilter: (patch) => set((s) => ({ ui: { ...s.ui, logFilter: { ...s.ui.logFilter, ...patch } } })),
});
