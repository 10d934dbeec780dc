import type { ReactNode } from 'react';
import { useStore } from '../store/store.ts';

/**
 * Controls that change the engine, disabled all at once (a fieldset) while a recording is
 * replayed: what is on screen then is the recording, so there is nothing live to change. Also
 * while the link to the engine is down, unless `whileDisconnected` is `refuse`: fields that are
 * applied later (the knobs) stay editable, and applying fails with a message (the connection
 * slice refuses every command then), so a typed value is not lost.
 * `display: contents` keeps the fieldset out of the layout.
 */
export function EngineControls({
  children,
  whileDisconnected = 'disable',
}: {
  children: ReactNode;
  whileDisconnected?: 'disable' | 'refuse';
}) {
  const replaying = useStore((s) => s.replay !== null);
  const disconnected = useStore((s) => s.connection.status !== 'open');
  const disabled = replaying || (disconnected && whileDisconnected === 'disable');
  return (
    <fieldset
      className="engine-controls"
      disabled={disabled}
      data-testid="engine-controls"
      data-disconnected={disconnected}
    >
      {children}
    </fieldset>
  );
}
