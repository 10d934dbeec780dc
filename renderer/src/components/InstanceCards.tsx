import { type FocusEvent, useState } from 'react';
import type { PoolKnobs } from '../../../protocol/index.ts';
import { useNearRows } from '../hooks/useNearRows.ts';
import { inRange } from '../model/near-rows.ts';
import type { InstanceRecord, LeaksState } from '../model/types.ts';
import { CardShell, RetiredShell } from './InstanceShells.tsx';
import { RetiredCard } from './RetiredCard.tsx';
import { WorkerCard } from './WorkerCard.tsx';

/** Heights of a card and of a retired row (instances.css), until the panel has some to measure. */
const CARD_HEIGHT = 170;
const RETIRED_HEIGHT = 25;

interface Common {
  leaks: LeaksState;
  onSelect(instanceId: number): void;
  onShowLeaks(instanceId: number): void;
}

/**
 * Which items of a list are drawn in full: those in or near view (hooks/useNearRows.ts), and the
 * one whose card or row holds the keyboard focus, so scrolling it out of view keeps the focus
 * where it was. Pass `ref` and the focus handlers to the list.
 */
function useDrawnItems(options: { estimate: number; grid?: boolean }) {
  const [ref, near] = useNearRows(options);
  const [focusedId, setFocusedId] = useState<number | null>(null);
  const focus = {
    onFocus: (e: FocusEvent) => {
      const id = (e.target as Element).closest('[data-instance-id]')?.getAttribute('data-instance-id');
      setFocusedId(id == null ? null : Number(id));
    },
    onBlur: (e: FocusEvent) => {
      if (!e.currentTarget.contains(e.relatedTarget)) setFocusedId(null);
    },
  };
  const drawn = (index: number, instanceId: number): boolean =>
    instanceId === focusedId || inRange(near.range, index, near.perRow);
  return { ref, focus, drawn };
}

/** The live instances' cards: those in or near view drawn in full, the rest as shells. */
export function CardGrid({
  live,
  leaks,
  onSelect,
  onShowLeaks,
  now,
  knobs,
  memoryLimitBytes,
}: Common & {
  live: readonly InstanceRecord[];
  now: number;
  knobs: PoolKnobs | null;
  memoryLimitBytes: number | null;
}) {
  const { ref, focus, drawn } = useDrawnItems({ estimate: CARD_HEIGHT, grid: true });
  const maxReuse = knobs?.maxInstanceReuseCount ?? 1;
  const maxConcurrent = knobs?.maxInstanceConcurrentReuseCount ?? 1;
  return (
    <div className="worker-grid" ref={ref} {...focus}>
      {live.map((r, i) =>
        drawn(i, r.instanceId) ? (
          <WorkerCard
            key={r.instanceId}
            instance={r}
            maxReuse={maxReuse}
            maxConcurrent={maxConcurrent}
            now={now}
            onSelect={onSelect}
            leakCount={leaks.byInstance.get(r.instanceId) ?? 0}
            leakChecked={leaks.checkedByInstance.get(r.instanceId) ?? 0}
            memory={leaks.memory.get(r.instanceId)}
            growth={leaks.growth.get(r.instanceId) ?? null}
            onShowLeaks={onShowLeaks}
            memoryLimitBytes={memoryLimitBytes}
            knobs={knobs}
          />
        ) : (
          <CardShell key={r.instanceId} instance={r} leakCount={leaks.byInstance.get(r.instanceId) ?? 0} />
        ),
      )}
    </div>
  );
}

/** Retired instances, newest first: those in or near view drawn in full, the rest as shells. */
export function RetiredList({
  retired,
  leaks,
  onSelect,
  onShowLeaks,
}: Common & { retired: readonly InstanceRecord[] }) {
  const { ref, focus, drawn } = useDrawnItems({ estimate: RETIRED_HEIGHT });
  return (
    <ul className="retired-list" data-testid="retired-list" ref={ref} {...focus}>
      {retired.map((r, i) =>
        drawn(i, r.instanceId) ? (
          <RetiredCard
            key={r.instanceId}
            instance={r}
            onSelect={onSelect}
            leakCount={leaks.byInstance.get(r.instanceId) ?? 0}
            leakChecked={leaks.checkedByInstance.get(r.instanceId) ?? 0}
            growth={leaks.growth.get(r.instanceId) ?? null}
            onShowLeaks={onShowLeaks}
          />
        ) : (
          <RetiredShell key={r.instanceId} instance={r} leakCount={leaks.byInstance.get(r.instanceId) ?? 0} />
        ),
      )}
    </ul>
  );
}
