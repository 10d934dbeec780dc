import { memo } from 'react';
import { fmtBytes } from '../model/format.ts';
import type { MemoryPoint } from '../model/types.ts';

const W = 100;
const H = 20;

/**
 * An instance's linear memory by the requests it finished (reuse count on x), as a step line
 * from zero bytes, so a steady instance is a flat line and a leaking one climbs. Plain SVG:
 * there is one per card, and recharts would be too heavy for that.
 */
export const MemorySparkline = memo(function MemorySparkline({
  points,
  growing,
}: {
  points: readonly MemoryPoint[];
  growing: boolean;
}) {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return null;
  const x0 = first.requestsDone;
  const span = Math.max(1, last.requestsDone - x0);
  const top = Math.max(...points.map((p) => p.bytes));
  const xOf = (x: number): number => ((x - x0) / span) * W;
  const yOf = (bytes: number): number => H - 1 - (bytes / Math.max(1, top)) * (H - 2);
  let d = `M${xOf(first.requestsDone).toFixed(2)},${yOf(first.bytes).toFixed(2)}`;
  for (const p of points.slice(1)) d += `H${xOf(p.requestsDone).toFixed(2)}V${yOf(p.bytes).toFixed(2)}`;
  if (points.length === 1) d += `H${W}`;
  const title = `memory ${fmtBytes(first.bytes)} after request ${first.requestsDone}, ${fmtBytes(last.bytes)} after request ${last.requestsDone}`;
  return (
    <div
      className="card-memory"
      data-testid="memory-sparkline"
      data-points={points.length}
      data-last-bytes={last.bytes}
      title={title}
    >
      <span className="meter-label">mem</span>
      <svg
        className={`sparkline ${growing ? 'sparkline-growing' : ''}`}
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        aria-label={title}
        role="img"
      >
        <path d={`${d}V${H}H${xOf(first.requestsDone).toFixed(2)}Z`} className="sparkline-area" />
        <path d={d} className="sparkline-line" vectorEffect="non-scaling-stroke" />
      </svg>
      <span className="mono dim sparkline-x">
        req {first.requestsDone}–{last.requestsDone}
      </span>
    </div>
  );
});
