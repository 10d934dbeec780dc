import { useMemo } from 'react';
import { useEngineNow } from '../hooks/useNow.ts';
import { usePalette, type Palette } from '../hooks/useTheme.ts';
import { chartSeries, type SeriesPoint } from '../model/charts.ts';
import { fmtMs } from '../model/format.ts';
import { useStore } from '../store/store.ts';
import { MiniChart, type LineSpec } from './MiniChart.tsx';
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
    live: [{ key: 'live', name: 'live', color: p.ok, step: true }],
    queue: [{ key: 'queue', name: 'queued', color: p.warn, step: true }],
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
  const series: SeriesPoint[] = useMemo(
    () => chartSeries(useStore.getState().charts, now, windowSec),
    [now, windowSec],
  );
  // The current second is still filling: the last complete one is "current".
  const last = series.at(-2) ?? series.at(-1);
  const latest = [...series]
    .reverse()
    .find((p): p is SeriesPoint & { p50: number; p99: number } => p.p50 !== null && p.p99 !== null);
  const g = useStore.getState().pool.gauges;

  const actions = (
    <Segmented
      label="Chart window"
      options={WINDOWS}
      value={windowSec}
      onChange={(w) => setUi({ chartWindowSec: w })}
    />
  );
  return (
    <Panel title="Pool" meta="1 s buckets" actions={actions} className="charts-panel" testId="charts-panel">
      <div className="charts">
        <MiniChart
          testId="chart-rps"
          title="Requests / s"
          value={last ? `${last.ok}${last.failed ? ` +${last.failed} failed` : ''}` : '—'}
          data={series}
          palette={palette}
          lines={lines.rps}
        />
        <MiniChart
          testId="chart-latency"
          title="Latency p50 / p99"
          value={latest ? `${fmtMs(latest.p50)} / ${fmtMs(latest.p99)}` : '—'}
          data={series}
          palette={palette}
          unit=" ms"
          lines={lines.latency}
        />
        <MiniChart
          testId="chart-live"
          title="Live instances"
          value={String(g.liveInstances)}
          data={series}
          palette={palette}
          lines={lines.live}
        />
        <MiniChart
          testId="chart-queue"
          title="Queue depth"
          value={String(g.queueDepth)}
          data={series}
          palette={palette}
          lines={lines.queue}
        />
        <MiniChart
          testId="chart-inflight"
          title="In flight"
          value={String(g.inFlight)}
          data={series}
          palette={palette}
          lines={lines.inFlight}
        />
      </div>
    </Panel>
  );
}
