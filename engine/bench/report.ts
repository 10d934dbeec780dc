/** Benchmark results: medians over runs, the ratios that matter, a Markdown table and the JSON shape. */
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BurstRowResult } from './cold-burst.ts';
import type { OverheadResult, OverheadSummary } from './dashboard-overhead.ts';
import type { StartStats } from './instance-starts.ts';
import type { LiveInstances } from './live-instances.ts';

/** The folder holding the repository (and ../shared): paths under it print relative. */
const REPO_PARENT = dirname(fileURLToPath(new URL('../../', import.meta.url)));

export interface RunMeasurement {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  responses: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCounts: Record<string, number>;
  peakRssMiB: number;
  /** Processes seen in the server's tree. */
  processes: number;
  liveInstances: LiveInstances | null;
  /** Instance start times over the server's whole life (warm-up included), from its events; null without events. */
  instanceStarts: StartStats | null;
  elapsedMs: number;
  /** How long the warm-up before this run lasted (it waits for a steady rate). */
  warmupMs: number;
}

export interface RowMedians {
  requestsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  peakRssMiB: number;
  liveInstancesPeak: number | null;
  liveInstancesAverage: number | null;
  /** Medians over runs of each run's instance count and start-time p50 / p99. */
  instancesStarted: number | null;
  startP50Ms: number | null;
  startP99Ms: number | null;
}

export interface RowResult {
  id: string;
  label: string;
  group: 'throughput' | 'io';
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  runs: RunMeasurement[];
  median: RowMedians | null;
  warnings: string[];
}

export interface Ratio {
  label: string;
  value: number | null;
  /** Why there is no value (a row skipped or failed). */
  note?: string;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  loadAverageAtStart: number[];
}

export interface BenchReport {
  generatedAt: string;
  quick: boolean;
  settings: { runs: number; durationMs: number; warmupMs: number; connections: number };
  machine: MachineInfo;
  rows: RowResult[];
  ratios: Ratio[];
  /** The cold-burst rows (cold-burst.ts), when any ran. */
  bursts: BurstRowResult[];
  /** The observer's cost (dashboard-overhead.ts), when it ran. */
  dashboardOverhead?: OverheadResult & { summary: OverheadSummary };
  /** Load averages at the end: a busy machine makes every figure lower. */
  loadAverageAtEnd: number[];
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  // biome-ignore lint/style/noNonNullAssertion: not empty, so mid < length, and mid >= 1 when the length is even
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function medians(runs: RunMeasurement[]): RowMedians | null {
  if (runs.length === 0) return null;
  const of = (pick: (r: RunMeasurement) => number | null | undefined): number | null =>
    median(runs.map(pick).filter((v): v is number => typeof v === 'number'));
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond) ?? 0,
    p50Ms: of((r) => r.latencyMs?.p50),
    p99Ms: of((r) => r.latencyMs?.p99),
    peakRssMiB: of((r) => r.peakRssMiB) ?? 0,
    liveInstancesPeak: of((r) => r.liveInstances?.peak),
    liveInstancesAverage: of((r) => r.liveInstances?.average),
    instancesStarted: of((r) => r.instanceStarts?.count),
    startP50Ms: of((r) => r.instanceStarts?.p50Ms),
    startP99Ms: of((r) => r.instanceStarts?.p99Ms),
  };
}

type Metric = keyof RowMedians;
const RATIOS: Array<{ label: string; a: string; b: string; metric: Metric }> = [
  {
    label: 'Poolscope p2 req/s: reuse 128 / reuse 1',
    a: 'poolscope-p2-reuse-128',
    b: 'poolscope-p2-reuse-1',
    metric: 'requestsPerSecond',
  },
  {
    label: 'Poolscope p3 req/s: defaults / reuse 1',
    a: 'poolscope-p3-default',
    b: 'poolscope-p3-reuse-1',
    metric: 'requestsPerSecond',
  },
  {
    label: 'Poolscope p3 req/s: defaults / concurrency 1',
    a: 'poolscope-p3-default',
    b: 'poolscope-p3-concurrency-1',
    metric: 'requestsPerSecond',
  },
  {
    label: 'I/O 40 ms, live instances (time-averaged): concurrent / serial',
    a: 'io-concurrent',
    b: 'io-serial',
    metric: 'liveInstancesAverage',
  },
  {
    label: 'I/O 40 ms, live instances (peak): concurrent / serial',
    a: 'io-concurrent',
    b: 'io-serial',
    metric: 'liveInstancesPeak',
  },
  { label: 'I/O 40 ms, req/s: concurrent / serial', a: 'io-concurrent', b: 'io-serial', metric: 'requestsPerSecond' },
  {
    label: 'req/s: Poolscope p2 reuse 128 / jco serve (shared instance)',
    a: 'poolscope-p2-reuse-128',
    b: 'jco-default',
    metric: 'requestsPerSecond',
  },
  {
    label: 'req/s: Poolscope p2 reuse 1 / jco serve --isolate-requests instance',
    a: 'poolscope-p2-reuse-1',
    b: 'jco-isolate-instance',
    metric: 'requestsPerSecond',
  },
  {
    label: 'req/s: Poolscope p2 reuse 1 / jco serve --isolate-requests worker',
    a: 'poolscope-p2-reuse-1',
    b: 'jco-isolate-worker',
    metric: 'requestsPerSecond',
  },
  {
    label: 'req/s: Poolscope p2 reuse 128 / bare node:http',
    a: 'poolscope-p2-reuse-128',
    b: 'node-http',
    metric: 'requestsPerSecond',
  },
  {
    label: 'peak RSS: Poolscope p2 reuse 128 / jco serve (shared instance)',
    a: 'poolscope-p2-reuse-128',
    b: 'jco-default',
    metric: 'peakRssMiB',
  },
  {
    label: 'Poolscope js-hello req/s: reuse 128 / reuse 1',
    a: 'poolscope-js-reuse-128',
    b: 'poolscope-js-reuse-1',
    metric: 'requestsPerSecond',
  },
  {
    label: 'req/s: Poolscope js-hello reuse 128 / jco serve js-hello (shared instance)',
    a: 'poolscope-js-reuse-128',
    b: 'jco-js-default',
    metric: 'requestsPerSecond',
  },
  {
    label: 'req/s: Poolscope js-hello reuse 1 / jco serve js-hello --isolate-requests instance',
    a: 'poolscope-js-reuse-1',
    b: 'jco-js-isolate-instance',
    metric: 'requestsPerSecond',
  },
  {
    label: 'peak RSS: Poolscope js-hello reuse 128 / jco serve js-hello (shared instance)',
    a: 'poolscope-js-reuse-128',
    b: 'jco-js-default',
    metric: 'peakRssMiB',
  },
  {
    label: 'instance start p50: js-hello / hello (Poolscope, reuse 1)',
    a: 'poolscope-js-reuse-1',
    b: 'poolscope-p2-reuse-1',
    metric: 'startP50Ms',
  },
];

export function ratios(rows: RowResult[]): Ratio[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const out: Ratio[] = [];
  for (const { label, a, b, metric } of RATIOS) {
    const ra = byId.get(a);
    const rb = byId.get(b);
    if (!ra || !rb) continue; // a row filtered out with --only
    const missing = [ra, rb].find((row) => row.status !== 'ok');
    if (missing) {
      out.push({ label, value: null, note: `${missing.label}: ${missing.status}` });
      continue;
    }
    const va = ra.median?.[metric];
    const vb = rb.median?.[metric];
    if (typeof va !== 'number' || typeof vb !== 'number' || vb === 0) {
      out.push({ label, value: null, note: 'no data' });
      continue;
    }
    out.push({ label, value: Number((va / vb).toPrecision(3)) });
  }
  return out;
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const ms = (n: number | null): string =>
  n === null ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : int(n);

export function markdown(report: BenchReport): string {
  const m = report.machine;
  const s = report.settings;
  const out: string[] = [];
  out.push(
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}; load average at start ${m.loadAverageAtStart.join(' ')}, at end ${report.loadAverageAtEnd.join(' ')}.`,
  );
  out.push(
    `Load: ${s.connections} concurrent keep-alive connections, ${s.durationMs / 1000} s measured after a warm-up of at least ${s.warmupMs / 1000} s (longer until the rate is steady), ${s.runs} run${s.runs === 1 ? '' : 's'} per row (medians)${report.quick ? ' — a --quick smoke run: orders of magnitude only (rows whose requests outlast 1 s measure 5 s)' : ''}.`,
  );
  // Only the cold bursts or the observer cost selected (--only): no throughput table to print.
  if (report.rows.length === 0) return `${out.join('\n')}\n`;
  out.push('');
  out.push(
    '| server | req/s | p50 ms | p99 ms | peak RSS MiB | live instances peak / avg | instances started | instance start p50 / p99 ms | non-2xx + errors |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const notes: string[] = [];
  for (const row of report.rows) {
    if (row.status !== 'ok' || !row.median) {
      const reason = row.reason ?? '';
      let n = notes.indexOf(reason);
      if (n < 0) n = notes.push(reason) - 1;
      out.push(`| ${row.label} | ${row.status === 'failed' ? '**failed**' : 'skipped'} [${n + 1}] | | | | | | | |`);
      continue;
    }
    const md = row.median;
    const live =
      md.liveInstancesPeak !== null
        ? `${int(md.liveInstancesPeak)} / ${md.liveInstancesAverage?.toFixed(1) ?? '–'}`
        : '–';
    const bad = median(row.runs.map((r) => r.non2xx + r.errors)) ?? 0;
    const started = md.instancesStarted !== null ? int(md.instancesStarted) : '–';
    const starts = md.startP50Ms !== null ? `${ms(md.startP50Ms)} / ${ms(md.startP99Ms)}` : '–';
    out.push(
      `| ${row.label} | ${int(md.requestsPerSecond)} | ${ms(md.p50Ms)} | ${ms(md.p99Ms)} | ${int(md.peakRssMiB)} | ${live} | ${started} | ${starts} | ${int(bad)} |`,
    );
  }
  if (notes.length > 0) {
    out.push('');
    notes.forEach((note, i) => out.push(`[${i + 1}] ${note.replaceAll(`${REPO_PARENT}/`, '../')}`));
  }
  out.push('');
  out.push(
    "Instance start: each instance's `worker.spawned` → `worker.instantiated` in Poolscope's `--events`, over the server's whole life (warm-up included); the medians over runs of each run's count, p50 and p99. – where a row records no events (jco, node, `--no-events`).",
  );
  out.push('');
  out.push('| ratio | value |');
  out.push('|---|---:|');
  for (const ratio of report.ratios)
    out.push(
      `| ${ratio.label} | ${ratio.value !== null ? `${formatRatio(ratio.value)}×` : `n/a (${escapeCell(ratio.note ?? '')})`} |`,
    );
  const warnings = report.rows.flatMap((row) => row.warnings.map((w) => `- ${row.label}: ${w}`));
  if (warnings.length > 0) {
    out.push('');
    out.push('Warnings:');
    out.push(...warnings);
  }
  return out.join('\n') + '\n';
}

export function formatRatio(value: number): string {
  if (value >= 10) return int(value);
  return value >= 1 ? value.toFixed(2) : value.toPrecision(2);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
