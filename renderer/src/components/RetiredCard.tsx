import { memo } from 'react';
import { EXIT_CAUSE_LABELS } from '../../../engine/protocol/index.ts';
import { fmtMs } from '../store/format.ts';
import type { InstanceRecord } from '../store/types.ts';

/** A retired instance: why it left, what it served, its last words. */
export const RetiredCard = memo(function RetiredCard({ instance: r, onSelect }: { instance: InstanceRecord; onSelect(id: number): void }) {
  const exit = r.exit!;
  const last = r.output.at(-1);
  return (
    <li
      className={`retired-card cause-${exit.cause}`}
      data-testid="retired-card"
      data-instance-id={r.instanceId}
      data-exit-cause={exit.cause}
      data-served={exit.served}
      title={exit.message ?? undefined}
    >
      <button type="button" className="link mono" onClick={() => onSelect(r.instanceId)} title="Filter the event log by this instance">
        #{r.instanceId}
      </button>
      <span className={`chip chip-cause-${exit.cause}`}>{EXIT_CAUSE_LABELS[exit.cause]}</span>
      <span className="mono">
        served {exit.served}
        {r.failed > 0 && <span className="err"> ({r.failed} failed)</span>}
      </span>
      <span className="dim mono">lived {fmtMs(exit.lifetimeMs)}</span>
      {r.drainCause && exit.cause === 'drained' && <span className="dim">{r.drainCause}</span>}
      <span className="retired-msg ellipsis">{exit.message ?? (last ? `${last.stream}: ${last.line}` : '')}</span>
    </li>
  );
});
