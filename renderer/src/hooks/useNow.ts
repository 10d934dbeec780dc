import { useEffect, useState } from 'react';
import { engineNow } from '../model/apply.ts';
import { useStore } from '../store/store.ts';
import { beatsPer, onBeat } from './beat.ts';

/**
 * Re-renders every `intervalMs` (rounded to the page's beat, so every component refreshed on the
 * same beat renders in one frame); returns the local monotonic time.
 */
export function useTick(intervalMs: number, enabled = true): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!enabled) return;
    const every = beatsPer(intervalMs);
    return onBeat((beat) => {
      if (beat % every === 0) setNow(performance.now());
    });
  }, [intervalMs, enabled]);
  return now;
}

/**
 * The engine's clock (same as event `t`), refreshed every `intervalMs`. It reads the clock
 * estimate without subscribing to it, so it does not re-render on every event batch.
 */
export function useEngineNow(intervalMs: number): number {
  useTick(intervalMs);
  // Replaying: the recorded moment, and a re-render whenever the scrubber moves.
  const replayT = useStore((s) => s.replay?.positionT ?? null);
  // Read at render, not at the last tick: a render caused by new events must not show a time up to
  // `intervalMs` older than they are.
  return replayT ?? engineNow(useStore.getState().clock, performance.now());
}

/** The engine's clock right now, outside React (animation frames); the scrubber's position while replaying. */
export function readEngineNow(): number {
  const s = useStore.getState();
  return s.replay ? s.replay.positionT : engineNow(s.clock, performance.now());
}
