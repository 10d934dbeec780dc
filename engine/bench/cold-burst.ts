/**
 * Cold bursts: a freshly started Poolscope server, which has not started a single instance yet,
 * meets exactly BURST_REQUESTS requests sent at once, each on its own new connection (no
 * keep-alive: a burst of new clients, not a warmed-up pool of connections). Measured: the time
 * from the first send to the last answer, how many answered 2xx, and, from the server's
 * `--events`, how many instances it started and how long each took to start. This is the cost
 * the throughput rows' warm-up deliberately leaves out.
 *
 * Unlike the throughput rows, nothing may reach the server before the burst, so readiness is
 * only its "Serving HTTP on" line (waitForHttp would start an instance).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { instanceStarts, startStats } from './instance-starts.ts';
import { MemorySampler, lastOutput, startProcess, waitForServingUrl } from './processes.ts';
import { formatRatio, int, median, ms } from './report.ts';
import { P3_HELLO, REPO_ROOT, needs, poolscope, skipReason, type Unavailable } from './setups.ts';

export const BURST_REQUESTS = 50;
/** Every request of a burst must be answered (or fail) within this. */
const BURST_TIMEOUT_MS = 120_000;

export interface BurstScenario {
  id: string;
  label: string;
  /** Arguments after `node`; `--events FILE` is appended. */
  args: string[];
  unavailable?: () => Unavailable | null;
}

export interface BurstRun {
  /** First send → last answer (or failure). */
  elapsedMs: number;
  ok: number;
  /** Status codes and client-side errors (ECONNRESET, timeout …), with their counts. */
  outcomes: Record<string, number>;
  /** `worker.spawned` events. */
  instancesStarted: number;
  startP50Ms: number | null;
  startP99Ms: number | null;
  peakRssMiB: number;
}

export interface BurstMedians {
  elapsedMs: number;
  ok: number;
  instancesStarted: number;
  startP50Ms: number | null;
  startP99Ms: number | null;
  peakRssMiB: number;
}

export interface BurstRowResult {
  id: string;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  runs: BurstRun[];
  median: BurstMedians | null;
  warnings: string[];
}

export type BurstOutcome =
  | { kind: 'ok'; run: BurstRun; warnings: string[] }
  | { kind: 'skipped' | 'failed'; reason: string };

/** The p2 hello with and without reuse, the componentize-js hello, and the WASIp3 hello of the throughput rows (defaults). */
export function burstScenarios(): BurstScenario[] {
  return [
    {
      id: 'burst-p2-reuse-128',
      label: 'Poolscope p2 hello, reuse 128',
      args: poolscope('demo:hello', ['--max-instance-reuse-count', '128']),
    },
    {
      id: 'burst-p2-reuse-1',
      label: 'Poolscope p2 hello, reuse 1',
      args: poolscope('demo:hello', ['--max-instance-reuse-count', '1']),
    },
    {
      id: 'burst-js-reuse-128',
      label: 'Poolscope js-hello, reuse 128',
      args: poolscope('demo:js-hello', ['--max-instance-reuse-count', '128']),
    },
    {
      id: 'burst-p3-default',
      label: 'Poolscope p3 hello, defaults (reuse 128, concurrency 16)',
      args: poolscope(P3_HELLO, []),
      unavailable: needs(P3_HELLO, 'p3 hello fixture'),
    },
  ];
}

/** One request on a fresh connection; resolves with its status code or error name, never rejects. */
function sendFresh(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: BURST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode ?? 0)));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

export async function measureBurst(
  s: BurstScenario,
  run: number,
  options: { scratch: string; startTimeoutMs: number },
): Promise<BurstOutcome> {
  const unavailable = s.unavailable?.() ?? null;
  if (unavailable) return unavailable;
  const eventsFile = join(options.scratch, `${s.id}-${run}.jsonl`);
  const server = startProcess([...s.args, '--events', eventsFile], { cwd: REPO_ROOT });
  const sampler = new MemorySampler(server.pid);
  let sampled = false;
  try {
    const base = await waitForServingUrl(server, options.startTimeoutMs);
    const url = new URL('/', base).href;
    const started = performance.now();
    // All sent in one synchronous loop: the server sees them as one burst.
    const answers = await Promise.all(Array.from({ length: BURST_REQUESTS }, () => sendFresh(url)));
    const elapsedMs = performance.now() - started;
    if (server.hasExited()) throw new Error('the server exited during the burst');
    sampled = true;
    const memory = sampler.finish();
    await server.stop();
    const starts = instanceStarts(readFileSync(eventsFile));
    const stats = startStats(starts.startMs);
    const outcomes: Record<string, number> = {};
    for (const answer of answers) outcomes[answer] = (outcomes[answer] ?? 0) + 1;
    const ok = answers.filter((a) => /^2\d\d$/.test(a)).length;
    const warnings =
      ok < BURST_REQUESTS
        ? [`run ${run + 1}: ${BURST_REQUESTS - ok} of ${BURST_REQUESTS} not 2xx (${describe(outcomes)})`]
        : [];
    return {
      kind: 'ok',
      warnings,
      run: {
        elapsedMs: Math.round(elapsedMs * 10) / 10,
        ok,
        outcomes,
        instancesStarted: starts.spawned,
        startP50Ms: stats.p50Ms,
        startP99Ms: stats.p99Ms,
        peakRssMiB: Math.round((memory.peakBytes / 2 ** 20) * 10) / 10,
      },
    };
  } catch (error) {
    if (!sampled) sampler.finish();
    await server.stop();
    const skip = skipReason(server.output());
    if (skip) return { kind: 'skipped', reason: skip };
    return {
      kind: 'failed',
      reason: `${error instanceof Error ? error.message : String(error)}${lastOutput(server)}`,
    };
  }
}

const describe = (outcomes: Record<string, number>): string =>
  Object.entries(outcomes)
    .map(([what, n]) => `${n} × ${what}`)
    .join(', ');

export function burstMedians(runs: BurstRun[]): BurstMedians | null {
  if (runs.length === 0) return null;
  const of = (pick: (r: BurstRun) => number | null): number | null =>
    median(runs.map(pick).filter((v): v is number => v !== null));
  return {
    elapsedMs: of((r) => r.elapsedMs) ?? 0,
    ok: of((r) => r.ok) ?? 0,
    instancesStarted: of((r) => r.instancesStarted) ?? 0,
    startP50Ms: of((r) => r.startP50Ms),
    startP99Ms: of((r) => r.startP99Ms),
    peakRssMiB: of((r) => r.peakRssMiB) ?? 0,
  };
}

const BURST_RATIOS: Array<{ label: string; a: string; b: string }> = [
  {
    label: 'cold burst, first send → last answer: js-hello / hello (reuse 128)',
    a: 'burst-js-reuse-128',
    b: 'burst-p2-reuse-128',
  },
  {
    label: 'cold burst, first send → last answer: hello reuse 1 / reuse 128',
    a: 'burst-p2-reuse-1',
    b: 'burst-p2-reuse-128',
  },
  {
    label: 'cold burst, first send → last answer: p3 hello / p2 hello (reuse 128)',
    a: 'burst-p3-default',
    b: 'burst-p2-reuse-128',
  },
];

/** The cold-burst table and its ratios (empty when no burst row ran). */
export function burstMarkdown(rows: BurstRowResult[]): string {
  if (rows.length === 0) return '';
  const out: string[] = [
    '',
    `Cold bursts: a fresh server, then ${BURST_REQUESTS} requests sent at once, each on a new connection (no keep-alive); medians over runs.`,
    '',
  ];
  out.push(
    '| cold burst | first send → last answer ms | 2xx | instances started | instance start p50 / p99 ms | peak RSS MiB |',
  );
  out.push('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const md = row.median;
    if (row.status !== 'ok' || !md) {
      out.push(
        `| ${row.label} | ${row.status === 'failed' ? '**failed**' : 'skipped'}: ${(row.reason ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} | | | | |`,
      );
      continue;
    }
    const starts = md.startP50Ms !== null ? `${ms(md.startP50Ms)} / ${ms(md.startP99Ms)}` : '–';
    out.push(
      `| ${row.label} | ${ms(md.elapsedMs)} | ${int(md.ok)} / ${BURST_REQUESTS} | ${int(md.instancesStarted)} | ${starts} | ${int(md.peakRssMiB)} |`,
    );
  }
  const byId = new Map(rows.map((row) => [row.id, row]));
  const ratios = BURST_RATIOS.flatMap(({ label, a, b }) => {
    if (!byId.has(a) || !byId.has(b)) return []; // filtered out with --only
    const va = byId.get(a)?.median?.elapsedMs;
    const vb = byId.get(b)?.median?.elapsedMs;
    return [`| ${label} | ${va !== undefined && vb ? `${formatRatio(Number((va / vb).toPrecision(3)))}×` : 'n/a'} |`];
  });
  if (ratios.length > 0) out.push('', '| ratio | value |', '|---|---:|', ...ratios);
  const warnings = rows.flatMap((row) => row.warnings.map((w) => `- ${row.label}: ${w}`));
  if (warnings.length > 0) out.push('', 'Warnings (cold bursts):', ...warnings);
  return out.join('\n') + '\n';
}
