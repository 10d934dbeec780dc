import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Palette } from '../hooks/useTheme.ts';
import type { SeriesPoint } from '../model/charts.ts';

export interface LineSpec {
  key: keyof SeriesPoint;
  name: string;
  color: string;
  step?: boolean;
  /** Sparse series (latency: only seconds with completions) need dots to show lone points. */
  dots?: boolean;
}

interface Props {
  title: string;
  value: string;
  data: SeriesPoint[];
  lines: LineSpec[];
  palette: Palette;
  unit?: string;
  testId: string;
}

const KEYS_HINT = 'One point a second; the arrow keys step through them.';

/** One small live chart: a title with the current value, the last N seconds. */
export const MiniChart = memo(function MiniChart({ title, value, data, lines, palette, unit = '', testId }: Props) {
  return (
    <figure className="mini-chart" data-testid={testId}>
      <figcaption>
        <span className="mini-title">{title}</span>
        <span className="mini-value mono">{value}</span>
      </figcaption>
      <div className="mini-plot">
        {/* As tall as the panel leaves it (views.css): a caption on two lines takes from the plot, not the axis. */}
        <ResponsiveContainer width="100%" height="100%" minWidth={100} minHeight={60}>
          {/* Recharts makes the plot a tab stop (arrow keys step through the seconds): it needs a name. */}
          <LineChart
            data={data}
            margin={{ top: 4, right: 6, bottom: 0, left: 0 }}
            title={`${title} chart`}
            desc={KEYS_HINT}
          >
            <CartesianGrid stroke={palette.grid} strokeDasharray="2 3" vertical={false} />
            <XAxis
              dataKey="x"
              type="number"
              domain={['dataMin', 0]}
              ticks={tickValues(data)}
              tickFormatter={(x: number) => (x === 0 ? 'now' : `${x}s`)}
              stroke={palette.dim}
              tick={{ fontSize: 10, fill: palette.dim }}
              tickLine={false}
              height={16}
            />
            <YAxis
              width={34}
              allowDecimals={false}
              stroke={palette.dim}
              tick={{ fontSize: 10, fill: palette.dim }}
              tickLine={false}
              axisLine={false}
              tickFormatter={(v: number) => compact(v)}
            />
            <Tooltip
              isAnimationActive={false}
              contentStyle={{
                background: 'var(--bg-elev)',
                border: '1px solid var(--border)',
                fontSize: 11,
                padding: '4px 8px',
              }}
              labelFormatter={(x) => (x === 0 ? 'this second' : `${String(x)}s`)}
              formatter={(v) => (typeof v === 'number' ? `${round(v)}${unit}` : '—')}
            />
            {lines.map((l) => (
              <Line
                key={String(l.key)}
                dataKey={l.key}
                name={l.name}
                stroke={l.color}
                strokeWidth={1.5}
                dot={l.dots ? { r: 1.5, strokeWidth: 0, fill: l.color } : false}
                type={l.step ? 'stepAfter' : 'linear'}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
});

function tickValues(data: SeriesPoint[]): number[] {
  const first = data[0]?.x ?? -59;
  const step = first <= -50 ? 15 : first <= -20 ? 10 : 5;
  const ticks: number[] = [];
  for (let x = 0; x >= first; x -= step) ticks.unshift(x);
  return ticks;
}

function round(v: number): string {
  return v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : String(Math.round(v * 100) / 100);
}

function compact(v: number): string {
  return v >= 10_000
    ? `${Math.round(v / 1000)}k`
    : v >= 1000
      ? `${(v / 1000).toFixed(1)}k`
      : String(Math.round(v * 10) / 10);
}
