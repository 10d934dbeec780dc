/**
 * Where the live data is. While a recording is replayed the data keys hold the recorded moment and
 * the live data waits, kept current, in `replay.live`; commands that would change the engine are
 * refused meanwhile. Every slice that changes live data goes through here.
 */
import type { CommandInput } from '../../../protocol/index.ts';
import { copySlice, DATA_KEYS } from '../model/apply.ts';
import type { DataState } from '../model/types.ts';
import type { Recorder } from '../recording/recorder.ts';
import type { Store } from './shape.ts';

export const REPLAY_REFUSAL =
  'A recording is being replayed: nothing is sent to the engine. Go back to live to change it.';

/** The data keys of a store (or of any state holding them). */
export function pickData(s: DataState): DataState {
  const data: Partial<DataState> = {};
  for (const key of DATA_KEYS) copySlice(data, s, key);
  // DATA_KEYS holds every key of DataState, so every slice is there.
  return data as DataState;
}

/** The live data: on show, or kept aside while a recording is replayed. */
export function liveData(s: Store): DataState {
  return s.replay ? s.replay.live : s;
}

/**
 * `toLive(s, change)`: a change to the live data, put where the live data is; it also refreshes
 * the store's copy of `recorder`'s status, which changes with every message recorded.
 */
export function liveWriter(recorder: Recorder): (s: Store, change: Partial<DataState>) => Partial<Store> {
  return (s, change) => {
    const status = recorder.status;
    const same =
      s.recorder.eventCount === status.eventCount &&
      s.recorder.truncated === status.truncated &&
      s.recorder.started === status.started;
    const patch: Partial<Store> = same ? {} : { recorder: status };
    if (!s.replay) return { ...change, ...patch };
    return { ...patch, replay: { ...s.replay, live: { ...s.replay.live, ...change } } };
  };
}

/** Commands that would change the engine are refused while replaying (a snapshot only reads). */
export function refusedWhileReplaying(s: Store, command: CommandInput): boolean {
  return s.replay !== null && command.type !== 'snapshot';
}
