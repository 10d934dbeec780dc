import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { FAILURE_KIND_LABELS, type FailureKind } from '../../../protocol/index.ts';
import { COMPARE_CHARTS, failureKindsOf, overlay, type Measure } from '../compare/overlay.ts';
import type { RunProfile } from '../compare/profile.ts';
import { useResolvedTheme } from '../hooks/useTheme.ts';
import { ExportButton } from './ExportButton.tsx';
import { Segmented, type SegmentedOption } from './Segmented.tsx';

/** Run B's dash pattern: the runs differ in line style as well as colour. */
export const B_DASH = '6 3';
const X_LABEL = 's since recording start';

interface RunColors {
  a: string;
  b: string;
  grid: string;
  dim: string;
}

/** The runs' colours (compare.css, per theme) and the chart chrome's, as recharts needs real values. */
function useRunColors(): RunColors {
  const theme = useResolvedTheme();
  const read = (): RunColors => {
    const css = getComputedStyle(document.documentElement);
    const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
    return {
      a: v('--run-a', '#0072b2'),
      b: v('--run-b', '#c2410c'),
      grid: v('--grid', '#e8eaee'),
      dim: v('--text-dim', '#5f6977'),
    };
  };
  const [colors, setColors] = useState(read);
  // Re-read when the theme changes (the custom properties change with it).
  useEffect(() => setColors(read()), [theme]);
  return colors;
}

/** Every measure of both runs, overlaid, one chart each. */
export function CompareCharts({ a, b }: { a: RunProfile | null; b: RunProfile | null }) {
  const colors = useRunColors();
  const kinds = useMemo(() => failureKindsOf(a, b), [a, b]);
  return (
    <div className="compare-charts" data-testid="compare-charts">
      {COMPARE_CHARTS.map((c) => (
        <CompareChart key={c.measure} {...c} a={a} b={b} colors={colors} kinds={c.measure === 'failed' ? kinds : []} />
      ))}
    </div>
  );
}

interface ChartProps {
  measure: Measure;
  title: string;
  unit: string;
  step?: boolean;
  a: RunProfile | null;
  b: RunProfile | null;
  colors: RunColors;
  /** Failure kinds the chart can single out (the failures chart; none for the others). */
  kinds: readonly FailureKind[];
}

type KindPick = FailureKind | 'all';

const CompareChart = memo(function CompareChart({
  measure,
  title: measureTitle,
  unit,
  step,
  a,
  b,
  colors,
  kinds,
}: ChartProps) {
  const figure = useRef<HTMLElement>(null);
  const [picked, setPicked] = useState<KindPick>('all');
  // A kind neither run has any more (another run was picked) falls back to all of them.
  const kind = picked !== 'all' && kinds.includes(picked) ? picked : null;
  const title = kind ? `${measureTitle}: ${FAILURE_KIND_LABELS[kind]}` : measureTitle;
  const data = useMemo(() => overlay(a, b, measure, step, kind), [a, b, measure, step, kind]);
  const kindOptions: Array<SegmentedOption<KindPick>> = [
    { value: 'all', label: 'all', testId: 'compare-failed-kind-all' },
    ...kinds.map((k) => ({ value: k, label: FAILURE_KIND_LABELS[k], testId: `compare-failed-kind-${k}` })),
  ];
  // Latency exists only in seconds with completions: dots show the lone points a line cannot.
  const sparse = measure === 'p50' || measure === 'p99';
  // A run of one second (a short sequential run) is one point: a line alone would draw nothing.
  const dotted = (run: RunProfile | null): boolean => sparse || (!step && run?.points.length === 1);
  const nameA = `A: ${a?.label ?? '—'}`;
  const nameB = `B: ${b?.label ?? '—'}`;
  const legend = [
    { name: nameA, color: colors.a },
    { name: nameB, color: colors.b, dash: B_DASH },
  ];
  return (
    <figure className="compare-chart" ref={figure} data-testid={`compare-chart-${measure}`} data-kind={kind ?? 'all'}>
      <figcaption>
        <span>{title}</span>
        <ExportButton
          label={`Export ${title} chart`}
          testId={`compare-export-${measure}`}
          items={[
            { title, fileBase: `compare-${measure}${kind ? `-${kind}` : ''}`, legend, target: () => figure.current },
          ]}
        />
      </figcaption>
      {kinds.length > 0 && (
        <Segmented<KindPick> label="Failure kind" options={kindOptions} value={kind ?? 'all'} onChange={setPicked} />
      )}
      <div className="compare-plot">
        <ResponsiveContainer width="100%" height="100%" minWidth={200} minHeight={120}>
          <LineChart
            data={data}
            margin={{ top: 6, right: 12, bottom: 14, left: 6 }}
            title={`${title}, run A and run B`}
            desc="One point a second since each recording's start; the arrow keys step through them."
          >
            <CartesianGrid stroke={colors.grid} strokeDasharray="2 3" vertical={false} />
            <XAxis
              dataKey="x"
              type="number"
              domain={[0, 'dataMax']}
              allowDecimals={false}
              stroke={colors.dim}
              tick={{ fontSize: 10, fill: colors.dim }}
              label={{ value: X_LABEL, position: 'insideBottom', offset: -10, fontSize: 10, fill: colors.dim }}
            />
            <YAxis
              width={52}
              allowDecimals={sparse}
              stroke={colors.dim}
              tick={{ fontSize: 10, fill: colors.dim }}
              label={{ value: unit, angle: -90, position: 'insideLeft', offset: 10, fontSize: 10, fill: colors.dim }}
            />
            <Tooltip
              isAnimationActive={false}
              contentStyle={{ background: 'var(--bg-elev)', border: '1px solid var(--border)', fontSize: 11 }}
              labelFormatter={(x) => `${String(x)} s since start`}
              formatter={(v) => (typeof v === 'number' ? `${Math.round(v * 100) / 100} ${unit}` : '—')}
            />
            <Line
              dataKey="a"
              name={nameA}
              stroke={colors.a}
              strokeWidth={2}
              dot={dotted(a) ? { r: 2, strokeWidth: 0, fill: colors.a } : false}
              type={step ? 'stepAfter' : 'linear'}
              isAnimationActive={false}
              connectNulls={false}
            />
            <Line
              dataKey="b"
              name={nameB}
              stroke={colors.b}
              strokeWidth={2}
              strokeDasharray={B_DASH}
              dot={dotted(b) ? { r: 2, strokeWidth: 0, fill: colors.b } : false}
              type={step ? 'stepAfter' : 'linear'}
              isAnimationActive={false}
              connectNulls={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
});
