import { memo, useContext } from 'react';
import type { Palette } from '../hooks/useTheme.ts';
import { axisCount } from '../model/chart-format.ts';
import type { SeriesPoint } from '../model/charts.ts';
import { ChartAxisContext, chartPointLabel, chartTickLabel, chartTicks } from '../time/chart-window.ts';
import { LivePlot, type LineSpec } from './LivePlot.tsx';

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
/** A chart with no points yet spans the default minute. */
const DEFAULT_FIRST_X = -59;

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
  const firstX = data[0]?.x ?? DEFAULT_FIRST_X;
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
      {/* As tall as the panel leaves it (views.css): a caption on two lines takes from the plot, not the axis. */}
      <LivePlot
        data={data}
        firstX={firstX}
        xOrigin={endSec}
        lines={lines}
        palette={palette}
        formatY={formatY}
        xTicks={chartTicks(firstX, endSec)}
        xTickLabel={(x) => chartTickLabel(x, endSec)}
        pointLabel={(x) => chartPointLabel(x, endSec)}
        band={axis?.band ?? null}
        label={`${title} chart, in ${yUnit}`}
        hint={KEYS_HINT}
      />
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
