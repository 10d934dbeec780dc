import { useSyncExternalStore } from 'react';
import { livePaceMs, onPace } from './beat.ts';

/** Ms between deliveries of live data, as the bridge's pacer has it now (hooks/beat.ts). */
export function useLivePace(): number {
  return useSyncExternalStore(onPace, livePaceMs);
}
