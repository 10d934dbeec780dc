/**
 * The dashboard store: zustand, built from slices. Server messages go through the pure reducers
 * (`applyServerMessage`) one whole message at a time, so a batch of events is one state change
 * and one render. Commands go to the engine through the bridge and report back `{ ok, error }`.
 */
import { create, type StateCreator } from 'zustand';
import type { CommandInput, LoadProgress, PoolKnobs, PoolKnobsPatch, ServerMessage, Snapshot } from '../../../protocol/index.ts';
import type { ConnectionInfo, ObservableBridge } from '../bridge/websocket-client.ts';
import { applyServerMessage, applySnapshot, clearHistory, DATA_KEYS, initialData } from './apply.ts';
import { createLeaksSlice, type LeaksSlice } from './leaks-slice.ts';
import { DEFAULT_LOG_FILTER, type LogFilter } from './log.ts';
import { withKnobs } from './pool.ts';
import { createReplaySlice, liveData, recorder, REPLAY_REFUSAL, refusedWhileReplaying, toLive, type ReplaySlice } from './replay-slice.ts';
import type { DataState } from './types.ts';

export type ThemePreference = 'system' | 'light' | 'dark';

export interface UiState {
  theme: ThemePreference;
  logFilter: LogFilter;
  logPaused: boolean;
  timelineWindowSec: number;
  chartWindowSec: number;
  /** The last command error, shown until dismissed. */
  notice: string | null;
}

export type CommandResult = { ok: true; result: unknown } | { ok: false; error: string };

export interface SendRequestsParams {
  count: number;
  concurrency: number;
  path: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
}

interface ConnectionSlice {
  connection: ConnectionInfo;
  attach(bridge: ObservableBridge): () => void;
  /** Sends any command; errors are returned (and shown as a notice when `notify`). */
  command(command: CommandInput, notify?: boolean): Promise<CommandResult>;
}

interface DataSlice extends DataState {
  receive(message: ServerMessage): void;
}

interface UiSlice {
  ui: UiState;
  setUi(patch: Partial<UiState>): void;
  setLogFilter(patch: Partial<LogFilter>): void;
}

interface CommandsSlice {
  loadComponent(spec: string): Promise<CommandResult>;
  setServing(serving: boolean): Promise<CommandResult>;
  setKnobs(patch: PoolKnobsPatch, merged: PoolKnobs): Promise<CommandResult>;
  sendRequests(params: SendRequestsParams): Promise<CommandResult>;
  clearHistory(): Promise<CommandResult>;
  refresh(): Promise<CommandResult>;
  runScenario(name: string, quick: boolean): Promise<CommandResult>;
  stopScenario(): Promise<CommandResult>;
}

export type Store = ConnectionSlice & DataSlice & UiSlice & CommandsSlice & ReplaySlice & LeaksSlice;
type Slice<T> = StateCreator<Store, [], [], T>;

let bridge: ObservableBridge | null = null;
const localNow = (): number => performance.now();

const createConnectionSlice: Slice<ConnectionSlice> = (set, get) => ({
  connection: { status: 'connecting', attempts: 0, error: null },
  attach(next) {
    bridge = next;
    const offMessages = next.subscribe((message) => get().receive(message));
    const offConnection = next.onConnection((connection) => set({ connection }));
    return () => {
      offMessages();
      offConnection();
      if (bridge === next) bridge = null;
    };
  },
  async command(command, notify = true) {
    if (refusedWhileReplaying(get(), command)) {
      set((s) => ({ ui: { ...s.ui, notice: REPLAY_REFUSAL } }));
      return { ok: false, error: REPLAY_REFUSAL };
    }
    if (!bridge) return { ok: false, error: 'not connected to an engine' };
    try {
      return { ok: true, result: await bridge.send(command) };
    } catch (error) {
      const message = (error as Error).message;
      if (notify) set((s) => ({ ui: { ...s.ui, notice: message } }));
      return { ok: false, error: message };
    }
  },
});


const createDataSlice: Slice<DataSlice> = (set) => ({
  ...initialData,
  receive(message) {
    set((s) => {
      // Messages go to the live data (aside while replaying) and into the session's recording.
      const live = liveData(s);
      recorder.record(message, live);
      const next = applyServerMessage(live, message, localNow());
      const changed: Partial<DataState> = {};
      for (const key of DATA_KEYS) if (next[key] !== live[key]) (changed as Record<string, unknown>)[key] = next[key];
      return toLive(s, changed);
    });
  },
});

const createUiSlice: Slice<UiSlice> = (set) => ({
  ui: { theme: 'system', logFilter: DEFAULT_LOG_FILTER, logPaused: false, timelineWindowSec: 10, chartWindowSec: 60, notice: null },
  setUi: (patch) => set((s) => ({ ui: { ...s.ui, ...patch } })),
  setLogFilter: (patch) => set((s) => ({ ui: { ...s.ui, logFilter: { ...s.ui.logFilter, ...patch } } })),
});

/** A reply that carries a whole snapshot (what `snapshot`, and maybe `load`/`start`/`stop`, return). */
function asSnapshot(result: unknown): Snapshot | null {
  const s = result as Partial<Snapshot> | null;
  return s && typeof s === 'object' && Array.isArray(s.instances) && typeof s.t === 'number' && 'knobs' in s ? (s as Snapshot) : null;
}

const createCommandsSlice: Slice<CommandsSlice> = (set, get) => {
  /**
   * After a command that changes the run: apply the snapshot from its reply (or ask for one).
   * `newPool`: a `load` always starts a new pool (even of the same component), whose ids start
   * again, so the old history must go. (`start` after a stop is recognised from the snapshot.)
   */
  const refreshAfter = async (result: CommandResult, newPool: boolean): Promise<CommandResult> => {
    if (!result.ok) return result;
    let snapshot = asSnapshot(result.result);
    if (!snapshot) {
      const again = await get().command({ type: 'snapshot' }, false);
      snapshot = again.ok ? asSnapshot(again.result) : null;
    }
    if (snapshot) {
      const fresh = snapshot;
      set((s) => {
        const live = liveData(s);
        if (newPool) recorder.restart(fresh);
        else recorder.record({ kind: 'snapshot', snapshot: fresh }, live);
        return toLive(s, applySnapshot(live, fresh, localNow(), newPool));
      });
    }
    return result;
  };
  return {
    async loadComponent(spec) {
      return refreshAfter(await get().command({ type: 'load', component: spec }), true);
    },
    async setServing(serving) {
      return refreshAfter(await get().command({ type: serving ? 'start' : 'stop' }), false);
    },
    async setKnobs(patch, merged) {
      const result = await get().command({ type: 'setKnobs', patch }, false);
      if (result.ok) {
        const reply = result.result as { knobs?: PoolKnobs; requestedKnobs?: PoolKnobs } | undefined;
        set((s) => toLive(s, { pool: withKnobs(liveData(s).pool, reply?.requestedKnobs ?? merged, reply?.knobs ?? null) }));
      }
      return result;
    },
    async sendRequests(params) {
      if (refusedWhileReplaying(get(), { type: 'sendRequests', ...params })) return get().command({ type: 'sendRequests', ...params });
      set((s) => toLive(s, { load: { ...liveData(s).load, running: true, requested: params, error: null, progress: null } }));
      const result = await get().command({ type: 'sendRequests', ...params }, false);
      set((s) => {
        const load = liveData(s).load;
        if (!result.ok) return toLive(s, { load: { ...load, running: false, error: result.error } });
        // The reply may carry the final progress (a run that is awaited) or just start the run.
        const final = result.result as Partial<LoadProgress> | undefined;
        const progress = final && typeof final.done === 'number' && typeof final.finished === 'boolean' ? (final as LoadProgress) : load.progress;
        return toLive(s, { load: { ...load, progress, running: !(progress?.finished ?? false), error: null } });
      });
      return result;
    },
    async clearHistory() {
      const result = await get().command({ type: 'clearHistory' });
      if (result.ok) {
        set((s) => {
          recorder.clearHistory(liveData(s).clock.maxT);
          return toLive(s, clearHistory(liveData(s)));
        });
      }
      return result;
    },
    async refresh() {
      return refreshAfter(await get().command({ type: 'snapshot' }, false), false);
    },
    // Progress arrives as `scenario` messages; the scenario loads its guests like a `load` would.
    runScenario: (name, quick) => get().command({ type: 'runScenario', name, quick }),
    stopScenario: () => get().command({ type: 'stopScenario' }),
  };
};

export const useStore = create<Store>()((...a) => ({
  ...createConnectionSlice(...a),
  ...createDataSlice(...a),
  ...createUiSlice(...a),
  ...createCommandsSlice(...a),
  ...createReplaySlice(...a),
  ...createLeaksSlice(...a),
}));
