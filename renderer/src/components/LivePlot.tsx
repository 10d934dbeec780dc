import { useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useElementSize } from '../hooks/useElementSize.ts';
import type { Palette } from '../hooks/useTheme.ts';
import type { SeriesPoint } from '../model/charts.ts';
import { dotsPath, linePath, nearestIndex, plotScales, seriesMax } from '../model/plot-geometry.ts';

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
  data: readonly SeriesPoint[];
  /** The x the plot starts at (the window's first second, even before data reaches back that far). */
  firstX: number;
  /**
   * The second x = 0 stands for, when known: the cursor stays on its second while the window
   * slides on (else on its point, which moves a second back each second).
   */
  xOrigin: number | null;
  lines: readonly LineSpec[];
  palette: Palette;
  formatY(v: number): string;
  /** The x ticks (data x) and how a tick and a point are labelled. */
  xTicks: readonly number[];
  xTickLabel(x: number): string;
  pointLabel(x: number): string;
  /** A span of x shaded (the timeline's window, when narrower than the chart). */
  band: { x1: number; x2: number } | null;
  /** The plot's accessible name and how to use it from the keyboard. */
  label: string;
  hint: string;
}

const MARGIN = { top: 7, right: 6, bottom: 16, left: 44 };
const FONT = 10;

/**
 * A small live line chart in plain SVG: a dashed grid, labelled axes, one path per series (and
 * one more for its dots), the timeline's window shaded. A tab stop: the arrow keys step a cursor
 * through the seconds (Home/End jump), as the pointer does, and a readout says the values.
 */
export function LivePlot({
  data,
  firstX: first,
  xOrigin,
  lines,
  palette,
  formatY,
  xTicks,
  xTickLabel,
  pointLabel,
  band,
  label,
  hint,
}: Props) {
  const [ref, size] = useElementSize<HTMLDivElement>();
  // The cursor's second (x + origin), or null: not an index, which would slide with the window.
  const [activeSec, setActiveSec] = useState<number | null>(null);
  const origin = xOrigin ?? 0;
  const xs = data.map((p) => p.x);
  const box = { width: size.width, height: size.height, margin: MARGIN };
  const s = plotScales(
    box,
    first,
    0,
    seriesMax(
      data,
      lines.map((l) => l.key),
    ),
  );
  // A second that slid out of the window leaves the cursor on the oldest one shown.
  const cursor = activeSec === null ? null : (nearestIndex(xs, activeSec - origin) ?? null);
  const point = cursor === null ? undefined : data[cursor];
  const setActive = (index: number | null): void => {
    const p = index === null ? undefined : data[index];
    setActiveSec(p ? p.x + origin : null);
  };

  const onPointer = (e: PointerEvent<SVGSVGElement>) => {
    const x = e.clientX - e.currentTarget.getBoundingClientRect().left;
    if (x < s.left || x > s.right) return setActive(null);
    setActive(nearestIndex(xs, s.invertX(x)));
  };
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    const last = data.length - 1;
    const step = (to: number) => {
      e.preventDefault();
      setActive(Math.max(0, Math.min(last, to)));
    };
    if (last < 0) return;
    if (e.key === 'ArrowLeft') step((cursor ?? last + 1) - 1);
    else if (e.key === 'ArrowRight') step((cursor ?? -1) + 1);
    else if (e.key === 'Home') step(0);
    else if (e.key === 'End') step(last);
    else if (e.key === 'Escape') setActive(null);
  };

  const edge = (x: number): 'start' | 'middle' | 'end' =>
    x - s.left < 12 ? 'start' : s.right - x < 12 ? 'end' : 'middle';
  return (
    <div className="mini-plot" ref={ref}>
      {size.width > 0 && size.height > 0 && (
        <svg
          className="chart-surface"
          width={size.width}
          height={size.height}
          // The arrow keys step the cursor: screen readers must pass them on, as to an application.
          role="application"
          aria-roledescription="chart"
          aria-label={label}
          tabIndex={0}
          onPointerMove={onPointer}
          onPointerLeave={() => setActive(null)}
          onKeyDown={onKey}
          onBlur={() => setActive(null)}
        >
          <title>{label}</title>
          <desc>{hint}</desc>
          {band && (
            <rect
              className="chart-band"
              x={s.x(Math.max(first, band.x1))}
              y={s.top}
              width={Math.max(0, s.x(Math.min(0, band.x2)) - s.x(Math.max(first, band.x1)))}
              height={s.bottom - s.top}
              fill={palette.accent}
              fillOpacity={0.1}
            />
          )}
          <g className="chart-grid">
            {s.yTicks.map((t) => (
              <line
                key={t}
                x1={s.left}
                x2={s.right}
                y1={s.y(t)}
                y2={s.y(t)}
                stroke={palette.grid}
                strokeDasharray="2 3"
              />
            ))}
          </g>
          <g className="chart-y-ticks" fontSize={FONT} fill={palette.dim}>
            {s.yTicks.map((t) => (
              <text
                key={t}
                className="chart-y-tick"
                x={s.left - 4}
                y={s.y(t)}
                textAnchor="end"
                dominantBaseline="middle"
              >
                {formatY(t)}
              </text>
            ))}
          </g>
          <line x1={s.left} x2={s.right} y1={s.bottom} y2={s.bottom} stroke={palette.dim} />
          <g className="chart-x-ticks" fontSize={FONT} fill={palette.dim}>
            {xTicks.map((t) => (
              <text key={t} className="chart-x-tick" x={s.x(t)} y={size.height - 3} textAnchor={edge(s.x(t))}>
                {xTickLabel(t)}
              </text>
            ))}
          </g>
          {lines.map((l) => {
            const values = data.map((p) => p[l.key] as number | null);
            return (
              <g key={String(l.key)}>
                <path
                  className="chart-line"
                  name={l.name}
                  d={linePath(xs, values, s, l.step ?? false)}
                  fill="none"
                  stroke={l.color}
                  strokeWidth={1.5}
                  strokeDasharray={l.dashed ? '3 2' : undefined}
                />
                {l.dots && <path d={dotsPath(xs, values, s)} stroke={l.color} strokeWidth={3} strokeLinecap="round" />}
              </g>
            );
          })}
          {point && (
            <line
              className="chart-cursor"
              x1={s.x(point.x)}
              x2={s.x(point.x)}
              y1={s.top}
              y2={s.bottom}
              stroke={palette.dim}
            />
          )}
        </svg>
      )}
      {/* Always there (empty without a cursor), so the first reading is announced too. */}
      <div className="chart-tip" aria-live="polite" data-testid="chart-tip">
        {point && (
          <div
            className="chart-tip-box"
            style={{
              left: s.x(point.x),
              transform: s.x(point.x) > size.width / 2 ? 'translateX(calc(-100% - 6px))' : 'translateX(6px)',
            }}
          >
            <div>{pointLabel(point.x)}</div>
            {lines.map((l) => {
              const v = point[l.key];
              return (
                <div key={String(l.key)} style={{ color: l.color }}>
                  {l.name}: {typeof v === 'number' ? formatY(v) : '—'}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
