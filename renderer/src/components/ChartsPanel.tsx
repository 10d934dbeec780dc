import { useMemo } from 'react';
import { useEngineNow } from '../hooks/useNow.ts';
import { usePalette, type Palette } from '../hooks/useTheme.ts';
import { chartSeries, type SeriesPoint } from '../model/charts.ts';
import { axisMs, axisRate, queueWhat, windowMax, withPeak } from '../model/chart-format.ts';
import { fmtMs } from '../model/format.ts';
import { useStore } from '../store/store.ts';
import { ChartAxisContext, chartAxisOf, chartWindowOf } from '../time/chart-window.ts';
import { TIME_BASE_LABEL } from '../time/time-base.ts';
import { PanelChartsExport } from './ExportButton.tsx';
import type { LineSpec } from './LivePlot.tsx';
import { MiniChart } from './MiniChart.tsx';
import { Panel } from './Panel.tsx';
import { secondsOptions, Segmented } from './Segmented.tsx';

const WINDOWS = secondsOptions([30, 60, 120]);

function lineSpecs(p: Palette): Record<'rps' | 'latency' | 'live' | 'queue' | 'inFlight', LineSpec[]> {
  return {
    rps: [
      { key: 'ok', name: 'completed', color: p.accent },
      { key: 'failed', name: 'failed', color: p.err },
    ],
    latency: [
      { key: 'p50', name: 'p50', color: p.teal, dots: true },
      { key: 'p99', name: 'p99', color: p.purple, dots: true },
    ],
    // Gauges: each second shows its peak, so a burst between two samples is not lost.
    live: [{ key: 'live', name: 'live', color: p.ok, step: true }],
    queue: [
      { key: 'queue', name: 'queued', color: p.warn, step: true },
      // Part of the queue: requests whose instance, started for them, is not ready yet.
      { key: 'waiting', name: 'waiting for start', color: p.err, step: true, dashed: true },
    ],
    inFlight: [{ key: 'inFlight', name: 'in flight', color: p.accent, step: true }],
  };
}

/**
 * Live charts over the last N seconds. They redraw once a second from the store's buckets
 * (read, not subscribed), so a stream of event batches does not re-render them.
 */
export function ChartsPanel() {
  const now = useEngineNow(1000);
  const windowSec = useStore((s) => s.ui.chartWindowSec);
  const setUi = useStore((s) => s.setUi);
  const palette = usePalette();
  const lines = useMemo(() => lineSpecs(palette), [palette]);
  // Following now, the charts keep their own window; a fixed timeline window (zoomed, panned, brushed) they show too.
  const view = useStore((s) => s.ui.timeView);
  const shown = chartWindowOf(view, now, windowSec);
  const axis = chartAxisOf(view, now, shown);
  const endSec = axis.endSec;
  const series: SeriesPoint[] = useMemo(
    () => chartSeries(useStore.getState().charts, endSec * 1000, shown.seconds),
    [endSec, shown.seconds],
  );
  // Following now, the current second is still filling: the last complete one is "current". In a
  // fixed window every second shown is complete, and its last is the one that window ends on.
  const last = shown.linked ? series.at(-1) : (series.at(-2) ?? series.at(-1));
  const lastWhat = shown.linked ? 'last second of the window' : 'last full second';
  const latest = [...series]
    .reverse()
    .find((p): p is SeriesPoint & { p50: number; p99: number } => p.p50 !== null && p.p99 !== null);
  const g = useStore.getState().pool.gauges;

  const actions = (
    <>
      <Segmented
        label="Chart window"
        options={WINDOWS}
        value={windowSec}
        onChange={(w) => setUi({ chartWindowSec: w })}
      />
      <PanelChartsExport label="Export a pool chart" testId="charts-export" />
    </>
  );
  return (
    <Panel
      title="Pool"
      meta={`1 s buckets · ${TIME_BASE_LABEL}${shown.linked ? " · the timeline's window" : ''}`}
      actions={actions}
      className="charts-panel"
      testId="charts-panel"
    >
      <ChartAxisContext.Provider value={axis}>
        <div
          className="charts"
          data-testid="charts-window"
          data-end-sec={endSec}
          data-seconds={shown.seconds}
          data-linked={shown.linked}
        >
          <MiniChart
            testId="chart-rps"
            title="Requests / s"
            value={last ? `${last.ok}/s${last.failed ? ` +${last.failed} failed` : ''}` : '—'}
            valueWhat={withPeak(
              lastWhat,
              windowMax(series, (p) => p.ok),
              '/s',
            )}
            data={series}
            palette={palette}
            lines={lines.rps}
            formatY={axisRate}
            yUnit="req/s"
          />
          <MiniChart
            testId="chart-latency"
            title="Latency p50 / p99"
            value={latest ? `${fmtMs(latest.p50)} / ${fmtMs(latest.p99)}` : '—'}
            valueWhat={latest ? 'p50 / p99, last second with responses' : 'no responses in the window'}
            data={series}
            palette={palette}
            lines={lines.latency}
            formatY={axisMs}
            yUnit="ms / s"
          />
          <MiniChart
            testId="chart-live"
            title="Live instances"
            value={String(g.liveInstances)}
            valueWhat={withPeak(
              'now',
              windowMax(series, (p) => p.live),
            )}
            data={series}
            palette={palette}
            lines={lines.live}
            yUnit="instances (1 s peaks)"
          />
          <MiniChart
            testId="chart-queue"
            title="Queue depth"
            value={String(g.queueDepth)}
            valueWhat={queueWhat(
              g,
              windowMax(series, (p) => p.queue),
            )}
            data={series}
            palette={palette}
            // An older engine (a recording) does not say how many wait for a start: no such line then.
            lines={windowMax(series, (p) => p.waiting) === null ? lines.queue.slice(0, 1) : lines.queue}
            yUnit="requests (1 s peaks)"
          />
          <MiniChart
            testId="chart-inflight"
            title="In flight"
            value={String(g.inFlight)}
            valueWhat={withPeak(
              'now',
              windowMax(series, (p) => p.inFlight),
            )}
            data={series}
            palette={palette}
            lines={lines.inFlight}
            yUnit="requests (1 s peaks)"
          />
        </div>
      </ChartAxisContext.Provider>
    </Panel>
  );
}
