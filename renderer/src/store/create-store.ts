/**
 * Makes a dashboard store: zustand, one slice per file, combined as zustand's slices guide does.
 * What a store talks to (the bridge, the recorder, the replayer) is passed in, so the app makes
 * its one instance (`store.ts`) and a test makes its own.
 */
import { create, type StoreApi, type UseBoundStore } from 'zustand';
import { createCommandsSlice } from './commands-slice.ts';
import { createCompareSlice } from './compare-slice.ts';
import { createConnectionSlice, listenTo } from './connection-slice.ts';
import { createDataSlice } from './data-slice.ts';
import { createLeaksSlice } from './leaks-slice.ts';
import { createReplaySlice } from './replay-slice.ts';
import type { Store, StoreDeps } from './shape.ts';
import { createUiSlice } from './ui-slice.ts';

export type PoolscopeStore = UseBoundStore<StoreApi<Store>>;

export function createPoolscopeStore(deps: StoreDeps): PoolscopeStore {
  const store = create<Store>()((...a) => ({
    ...createConnectionSlice(deps.bridge)(...a),
    ...createDataSlice(deps.recorder)(...a),
    ...createUiSlice(...a),
    ...createCommandsSlice(deps.recorder)(...a),
    ...createReplaySlice(deps)(...a),
    ...createLeaksSlice(deps.recorder)(...a),
    ...createCompareSlice(deps.recorder)(...a),
  }));
  if (deps.bridge) listenTo(deps.bridge, store);
  return store;
}
