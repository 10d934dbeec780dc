import { memo } from 'react';
import { EXIT_CAUSE_LABELS } from '../../../protocol/index.ts';
import { fmtMs } from '../model/format.ts';
import type { InstanceRecord, MemoryGrowthWarning } from '../model/types.ts';
import { GrowthBadge, LeakBadge } from './LeakBadges.tsx';

interface Props {
  instance: InstanceRecord;
  onSelect(id: number): void;
  leakCount?: number;
  /** Reused answers of this instance the leak detector checked (its badge says "1 leak in 7 checked"). */
  leakChecked?: number;
  growth?: MemoryGrowthWarning | null;
  onShowLeaks?(instanceId: number): void;
}

/** What a retired row says about itself, on the full row and on its shell (InstanceShells.tsx) alike. */
export function retiredAttributes(r: InstanceRecord, leakCount: number) {
  return {
    'data-testid': 'retired-card',
    'data-instance-id': r.instanceId,
    'data-exit-cause': r.exit?.cause,
    'data-served': r.exit?.served,
    'data-leaks': leakCount,
  };
}

/** A retired instance: why it left, what it served, its last words. */
export const RetiredCard = memo(function RetiredCard({
  instance: r,
  onSelect,
  leakCount = 0,
  leakChecked = 0,
  growth = null,
  onShowLeaks,
}: Props) {
  // biome-ignore lint/style/noNonNullAssertion: model/instances.ts retires an instance only with its exit
  const exit = r.exit!;
  const last = r.output.at(-1);
  return (
    <li
      className={`retired-card cause-${exit.cause}`}
      {...retiredAttributes(r, leakCount)}
      title={exit.message ?? undefined}
    >
      <button
        type="button"
        className="link mono"
        onClick={() => onSelect(r.instanceId)}
        title="Filter the event log by this instance"
      >
        #{r.instanceId}
      </button>
      <span className={`chip chip-cause-${exit.cause}`}>{EXIT_CAUSE_LABELS[exit.cause]}</span>
      <span className="mono">
        served {exit.served}
        {r.failed > 0 && <span className="err"> ({r.failed} failed)</span>}
      </span>
      <span className="dim mono">lived {fmtMs(exit.lifetimeMs)}</span>
      <span className="dim">{r.drainCause && exit.cause === 'drained' ? r.drainCause : ''}</span>
      <span className="retired-flags">
        {onShowLeaks && (
          <LeakBadge instanceId={r.instanceId} count={leakCount} checked={leakChecked} onShow={onShowLeaks} />
        )}
        <GrowthBadge warning={growth} />
      </span>
      <span className="retired-msg ellipsis">{exit.message ?? (last ? `${last.stream}: ${last.line}` : '')}</span>
    </li>
  );
});
