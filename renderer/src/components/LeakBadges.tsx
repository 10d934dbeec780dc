import { memoryGrowthRate, memoryGrowthSpan } from '../../../base/memory-growth.ts';
import { badgeText } from '../model/leaks.ts';
import type { MemoryGrowthWarning } from '../model/types.ts';

/** "⚠ 1 leak in 7 checked" on an instance: opens the Leaks tab with that instance's findings. */
export function LeakBadge({
  instanceId,
  count,
  checked = 0,
  onShow,
}: {
  instanceId: number;
  count: number;
  /** This instance's reused answers replayed and compared, findings included. */
  checked?: number;
  onShow(instanceId: number): void;
}) {
  if (count === 0) return null;
  return (
    <button
      type="button"
      className="chip chip-leak"
      data-testid="leak-badge"
      data-count={count}
      data-checked={checked}
      title={`Answers of this instance differed from a fresh instance's ${count} time${count === 1 ? '' : 's'}${checked > 0 ? ` of ${checked} checked` : ''}: show them`}
      onClick={() => onShow(instanceId)}
    >
      ⚠ {badgeText(count, checked)}
    </button>
  );
}

/** "⚠ memory grows ~64 KiB/request": the engine saw this instance's memory keep growing with its requests. */
export function GrowthBadge({ warning }: { warning: MemoryGrowthWarning | null }) {
  if (!warning) return null;
  return (
    <span
      className="chip chip-growth"
      data-testid="memory-growth-badge"
      data-bytes-per-request={warning.bytesPerRequest}
      title={`Linear memory kept growing after warm-up: ${memoryGrowthSpan(warning)}. A healthy instance levels off.`}
    >
      ⚠ memory grows {memoryGrowthRate(warning)}
    </span>
  );
}
