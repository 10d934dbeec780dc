import { memo, useContext } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Palette } from '../hooks/useTheme.ts';
import { axisCount } from '../model/chart-format.ts';
import type { SeriesPoint } from '../model/charts.ts';
import { ChartAxisContext, chartPointLabel, chartTickLabel, chartTicks } from '../time/chart-window.ts';

export interface LineSpec {
  key: keyof SeriesPoint;
  name: string;
  color: string;
  step?: boolean;
  /** Sparse series (latency: only seconds with completions) need dots to show lone points. */
  dots?: boolean;
  /** Drawn dashed (a part of another line, e.g. the queue's requests waiting for a start). */
  dashed?: boolean;
}

interface Props {
  title: string;
  /** The headline number, with its unit. */
  value: string;
  /** What the headline is: `last 1 s`, `now`… (a gauge now and a rate over a second differ). */
  valueWhat: string;
  data: SeriesPoint[];
  lines: LineSpec[];
  palette: Palette;
  /** Y-axis ticks with their unit (`250 ms`, `40/s`); counts by default, named by the legend. */
  formatY?: (v: number) => string;
  /** The Y axis's unit in words, for the legend and screen readers (`requests per second`). */
  yUnit: string;
  testId: string;
}

const KEYS_HINT = 'One point a second; the arrow keys step through them.';

/** One small live chart: a title with the current value, the last N seconds. */
export const MiniChart = memo(function MiniChart({
  title,
  value,
  valueWhat,
  data,
  lines,
  palette,
  formatY = axisCount,
  yUnit,
  testId,
}: Props) {
  // The engine second of the last point, when the panel gives it (ticks in the one time base), and the timeline's window.
  const axis = useContext(ChartAxisContext);
  const endSec = axis?.endSec ?? null;
  return (
    <figure className="mini-chart" data-testid={testId}>
      <figcaption>
        <span className="mini-title">{title}</span>
        <span className="mini-value mono" data-testid="mini-value">
          {value}
        </span>
        <span className="mini-what ellipsis" data-testid="mini-value-what" title={valueWhat}>
          {valueWhat}
        </span>
      </figcaption>
      <div className="mini-plot">
        {/* As tall as the panel leaves it (views.css): a caption on two lines takes from the plot, not the axis. */}
        <ResponsiveContainer width="100%" height="100%" minWidth={100} minHeight={60}>
          {/* Recharts makes the plot a tab stop (arrow keys step through the seconds): it needs a name. */}
          <LineChart
            data={data}
            margin={{ top: 4, right: 6, bottom: 0, left: 0 }}
            title={`${title} chart, in ${yUnit}`}
            desc={KEYS_HINT}
          >
            <CartesianGrid stroke={palette.grid} strokeDasharray="2 3" vertical={false} />
            {axis?.band && (
              <ReferenceArea
                x1={axis.band.x1}
                x2={axis.band.x2}
                fill={palette.accent}
                fillOpacity={0.1}
                ifOverflow="hidden"
              />
            )}
            <XAxis
              dataKey="x"
              type="number"
              domain={['dataMin', 0]}
              ticks={chartTicks(data[0]?.x ?? -59, endSec)}
              tickFormatter={(x: number) => chartTickLabel(x, endSec)}
              stroke={palette.dim}
              tick={{ fontSize: 10, fill: palette.dim }}
              tickLine={false}
              height={16}
            />
            <YAxis
              width={44}
              allowDecimals={false}
              stroke={palette.dim}
              tick={{ fontSize: 10, fill: palette.dim }}
              tickLine={false}
              axisLine={false}
              tickFormatter={(v: number) => formatY(v)}
            />
            <Tooltip
              isAnimationActive={false}
              contentStyle={{
                background: 'var(--bg-elev)',
                border: '1px solid var(--border)',
                fontSize: 11,
                padding: '4px 8px',
              }}
              labelFormatter={(x) => chartPointLabel(Number(x), endSec)}
              formatter={(v) => (typeof v === 'number' ? formatY(v) : '—')}
            />
            {lines.map((l) => (
              <Line
                key={String(l.key)}
                dataKey={l.key}
                name={l.name}
                stroke={l.color}
                strokeWidth={1.5}
                strokeDasharray={l.dashed ? '3 2' : undefined}
                dot={l.dots ? { r: 1.5, strokeWidth: 0, fill: l.color } : false}
                type={l.step ? 'stepAfter' : 'linear'}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <ul className="mini-legend" data-testid="mini-legend" aria-label={`${title}: lines, in ${yUnit}`}>
        {lines.map((l) => (
          <li key={String(l.key)}>
            <span
              className="mini-swatch"
              aria-hidden="true"
              style={{
                background: l.dashed ? 'transparent' : l.color,
                borderTop: l.dashed ? `2px dashed ${l.color}` : undefined,
              }}
            />
            {l.name}
          </li>
        ))}
        <li className="mini-unit" data-testid="mini-unit" title={`y axis: ${yUnit}`}>
          y: {yUnit}
        </li>
      </ul>
    </figure>
  );
});
