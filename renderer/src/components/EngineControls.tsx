import type { ReactNode } from 'react';
import { useStore } from '../store/store.ts';

/**
 * Controls that change the engine, disabled all at once (a fieldset) while a recording is
 * replayed: what is on screen then is the recording, so there is nothing live to change.
 * `display: contents` keeps the fieldset out of the layout.
 */
export function EngineControls({ children }: { children: ReactNode }) {
  const replaying = useStore((s) => s.replay !== null);
  return (
    <fieldset className="engine-controls" disabled={replaying} data-testid="engine-controls">
      {children}
    </fieldset>
  );
}
