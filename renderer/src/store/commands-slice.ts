/**
 * The commands slice: what the controls ask of the engine. Each goes through `command` (the
 * connection slice), which reports back the command's typed reply or its error; those that
 * change the run reply with a snapshot, which is applied at once.
 */
import type { CommandResult, Snapshot } from '../../../protocol/index.ts';
import { applySnapshot, clearHistory } from '../model/apply.ts';
import { withKnobs } from '../model/pool.ts';
import type { Recorder } from '../recording/recorder.ts';
import { liveData, liveWriter, refusedWhileReplaying } from './replay-mode.ts';
import type { CommandsSlice, Slice } from './shape.ts';

const localNow = (): number => performance.now();

export const createCommandsSlice =
  (recorder: Recorder): Slice<CommandsSlice> =>
  (set, get) => {
    const toLive = liveWriter(recorder);
    /**
     * After a command that changes the run: apply the snapshot it replied with.
     * `newPool`: a `load` always starts a new pool (even of the same component), whose ids start
     * again, so the old history must go. (`start` after a stop is recognised from the snapshot.)
     */
    const refreshAfter = (result: CommandResult<Snapshot>, newPool: boolean): CommandResult<Snapshot> => {
      if (!result.ok) return result;
      const fresh = result.result;
      set((s) => {
        const live = liveData(s);
        if (newPool) recorder.restart(fresh);
        else recorder.record({ kind: 'snapshot', snapshot: fresh }, live);
        return toLive(s, applySnapshot(live, fresh, localNow(), newPool));
      });
      return result;
    };
    return {
      async loadComponent(spec) {
        return refreshAfter(await get().command({ type: 'load', component: spec }), true);
      },
      async setServing(serving) {
        return refreshAfter(await get().command({ type: serving ? 'start' : 'stop' }), false);
      },
      async setKnobs(patch) {
        const result = await get().command({ type: 'setKnobs', patch }, false);
        if (result.ok) {
          const { requestedKnobs, knobs } = result.result;
          set((s) => toLive(s, { pool: withKnobs(liveData(s).pool, requestedKnobs, knobs) }));
        }
        return result;
      },
      async sendRequests(params) {
        if (refusedWhileReplaying(get(), { type: 'sendRequests', ...params }))
          return get().command({ type: 'sendRequests', ...params });
        set((s) =>
          toLive(s, { load: { ...liveData(s).load, running: true, requested: params, error: null, progress: null } }),
        );
        const result = await get().command({ type: 'sendRequests', ...params }, false);
        // The reply comes when the run is over (its progress came as `load-progress` messages).
        set((s) => {
          const load = liveData(s).load;
          return toLive(s, { load: { ...load, running: false, error: result.ok ? null : result.error } });
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
