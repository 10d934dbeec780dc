import { memo } from 'react';
import type { InstanceRecord } from '../model/types.ts';
import { retiredAttributes } from './RetiredCard.tsx';
import { cardAttributes, statusOf } from './WorkerCard.tsx';

/*
 * Cards and retired rows far out of view are drawn as shells: the same box, size and attributes,
 * nothing inside (hooks/useNearRows.ts decides which). Under churn most instances live and die
 * out of view; a shell is one element where a card is ~35.
 */

export const CardShell = memo(function CardShell({
  instance: r,
  leakCount,
}: {
  instance: InstanceRecord;
  leakCount: number;
}) {
  return (
    <article
      className={`card worker-card card-shell status-${statusOf(r)}`}
      aria-hidden="true"
      data-shell="true"
      {...cardAttributes(r, leakCount)}
    />
  );
});

export const RetiredShell = memo(function RetiredShell({
  instance: r,
  leakCount,
}: {
  instance: InstanceRecord;
  leakCount: number;
}) {
  return (
    <li
      className={`retired-card retired-shell cause-${r.exit?.cause}`}
      aria-hidden="true"
      data-shell="true"
      {...retiredAttributes(r, leakCount)}
    />
  );
});
