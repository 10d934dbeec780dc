#!/usr/bin/env node
/**
 * The benchmark (`npm run bench`): the same closed-loop load against a bare node:http server,
 * `jco serve` in its three modes, and Poolscope with different reuse settings, on the same
 * machine in one run; plus the I/O experiment (live instances with and without concurrent reuse
 * on a handler that waits 40 ms), the same comparisons for a componentize-js guest (js-hello),
 * instance start times from Poolscope's events, cold bursts (cold-burst.ts), and what an open
 * dashboard costs the server it watches (dashboard-overhead.ts). Every server is
 * a child process, started fresh for each run of each row; rows are interleaved across runs so a
 * noisy spell spreads over all of them.
 *
 *   node engine/bench/bench.ts [--quick] [--runs N] [--json FILE] [--only id,id] [--list] [--no-events] [--zoo [ids]]
 *
 * `--zoo` appends the real-toolchain guests' table (zoo.ts, issue 14), run with the same --quick,
 * --duration, --warmup and -c.
 *
 * Prints a Markdown table (medians over runs) and ratios on stdout, progress on stderr. It never
 * asserts thresholds: it exits 1 only when a server fails to start, dies, or cannot be loaded;
 * rows that cannot run yet (WASIp3 not implemented, a demo guest missing) are reported skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { duration } from '../cli/parse.ts';
import { formatDuration } from '../../base/duration.ts';
import { runLoad } from '../loadgen/index.ts';
import {
  BURST_REQUESTS,
  burstMarkdown,
  burstMedians,
  burstScenarios,
  measureBurst,
  type BurstRowResult,
  type BurstScenario,
} from './cold-burst.ts';
import {
  DASHBOARD_OVERHEAD_ID,
  OVERHEAD_LABEL,
  measureOverheadRun,
  overheadMarkdown,
  overheadSummary,
  PAGE_SETTLE_MS,
  type OverheadResult,
} from './dashboard-overhead.ts';
import { instanceStarts, startStats } from './instance-starts.ts';
import { liveInstancesInWindow } from './live-instances.ts';
import {
  MemorySampler,
  freePort,
  lastOutput,
  scratchFolder,
  startProcess,
  waitForHttp,
  waitForServingUrl,
} from './processes.ts';
import {
  machineInfo,
  markdown,
  medians,
  ratios,
  type BenchReport,
  type RowResult,
  type RunMeasurement,
} from './report.ts';
import { REPO_ROOT, allSetups, skipReason, type BenchSetup } from './setups.ts';

interface Flags {
  quick: boolean;
  runs?: number;
  duration?: number;
  warmup?: number;
  connections: number;
  json?: string;
  only?: string[];
  events: boolean;
  list: boolean;
  build: boolean;
  /** Also run the real-toolchain guests (zoo.ts) after the tables: true for all, or guest ids. */
  zoo?: boolean | string;
}

/** A server gets this long to print its address and answer a first 2xx. */
const START_TIMEOUT_MS = 60_000;
const GUEST_BUILD_TIMEOUT_MS = 10 * 60_000;
/** zoo.ts bounds each of its steps itself; this only bounds the whole run when --zoo is given. */
const ZOO_BUDGET_MS = 90 * 60_000;

const positive = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`'${value}' is not a whole number of at least 1`);
  return Number(value);
};

const program = new Command('bench')
  .description('benchmark Poolscope against a bare node:http server and jco serve, under the same load')
  .option('--quick', 'smoke mode: 1 s per row after at least 1 s of warm-up, one run (for CI)', false)
  .addOption(new Option('--runs <n>', 'runs per row; medians are reported (default 3, --quick 1)').argParser(positive))
  .addOption(
    new Option('--duration <dur>', 'measured load per row and run (default 10s, --quick 1s)').argParser(duration),
  )
  .addOption(
    new Option(
      '--warmup <dur>',
      'load before measuring, at least (default 2s, --quick 1s; 0 for none); it goes on, up to 5x or 15s (--quick: 5s), until the rate is steady',
    ).argParser(duration),
  )
  .addOption(new Option('-c, --connections <n>', 'concurrent keep-alive connections').default(50).argParser(positive))
  .option('--json <file>', 'also write the results as JSON to FILE')
  .addOption(
    new Option('--only <ids>', 'only these rows (comma-separated ids; see --list)').argParser((v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  )
  .option(
    '--no-events',
    'throughput rows record no Poolscope events, so no instance start times or live instances there (the I/O rows and cold bursts still do)',
  )
  // The default since start times came in; still accepted so old command lines run.
  .addOption(new Option('--events-everywhere').hideHelp())
  .option('--list', 'list the rows and exit', false)
  .option('--no-build', 'do not run the demo guest build (node assets/guests/build.ts) first')
  .option(
    '--zoo [guests]',
    "afterwards, also run the real-toolchain guests (engine/bench/zoo.ts; comma-separated ids to pick some, see zoo.ts --list) with this run's --quick, --duration, --warmup and -c",
  )
  .showHelpAfterError();

program.parse();
const flags = program.opts<Flags>();

const setups = allSetups({ events: flags.events });
const bursts = burstScenarios();
if (flags.list) {
  for (const s of [...setups, ...bursts.map((b) => ({ ...b, label: `cold burst: ${b.label}` }))])
    process.stdout.write(`${s.id.padEnd(28)} ${s.label}\n`);
  process.stdout.write(`${DASHBOARD_OVERHEAD_ID.padEnd(28)} ${OVERHEAD_LABEL}\n`);
  process.exit(0);
}
const unknown = (flags.only ?? []).filter(
  (id) => !setups.some((s) => s.id === id) && !bursts.some((b) => b.id === id) && id !== DASHBOARD_OVERHEAD_ID,
);
if (unknown.length > 0) program.error(`error: unknown row id(s) ${unknown.join(', ')} (see --list)`);
const only = flags.only;
const selected = only ? setups.filter((s) => only.includes(s.id)) : setups;
const selectedBursts = only ? bursts.filter((b) => only.includes(b.id)) : bursts;
const overheadSelected = !only || only.includes(DASHBOARD_OVERHEAD_ID);

const settings = {
  runs: flags.runs ?? (flags.quick ? 1 : 3),
  durationMs: flags.duration ?? (flags.quick ? 1000 : 10_000),
  warmupMs: flags.warmup ?? (flags.quick ? 1000 : 2000),
  connections: flags.connections,
};

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const { scratch, cleanUp } = scratchFolder('poolscope-bench-', log);
process.on('uncaughtException', (error) => {
  log(`bench failed: ${error.stack ?? error.message}`);
  cleanUp();
  process.exit(1);
});

// A last-resort bound on the whole run: every step has its own timeout, this catches the rest.
const budgetMs =
  settings.runs *
    (selected.length * (START_TIMEOUT_MS + maxWarmupMs() + Math.max(settings.durationMs, 5000) + 30_000) +
      selectedBursts.length * (START_TIMEOUT_MS + 150_000) +
      (overheadSelected
        ? 2 * START_TIMEOUT_MS + maxWarmupMs() + 6 * (settings.durationMs + 30_000) + 4 * PAGE_SETTLE_MS
        : 0)) +
  GUEST_BUILD_TIMEOUT_MS +
  (flags.zoo ? ZOO_BUDGET_MS : 0);
setTimeout(() => {
  log(`bench did not finish within ${Math.round(budgetMs / 1000)} s; stopping every server`);
  cleanUp();
  process.exit(1);
}, budgetMs).unref();

type Outcome = { kind: 'ok'; run: RunMeasurement; warnings: string[] } | { kind: 'skipped' | 'failed'; reason: string };

async function measureOnce(s: BenchSetup, run: number): Promise<Outcome> {
  const unavailable = s.unavailable?.() ?? null;
  if (unavailable) return unavailable;
  const port = s.args.includes('PORT') ? await freePort() : 0;
  const eventsFile = s.events ? join(scratch, `${s.id}-${run}.jsonl`) : null;
  const args = s.args.map((a) =>
    a === 'PORT' ? String(port) : a === 'JCO_DIR' ? join(scratch, `jco-${s.id}-${run}`) : a,
  );
  if (eventsFile) args.push('--events', eventsFile);
  const server = startProcess(args, { cwd: REPO_ROOT });
  const sampler = new MemorySampler(server.pid);
  let sampled = false;
  const finishSampling = (): ReturnType<MemorySampler['finish']> => {
    sampled = true;
    return sampler.finish();
  };
  try {
    const base = s.kind === 'jco' ? `http://127.0.0.1:${port}/` : await waitForServingUrl(server, START_TIMEOUT_MS);
    const url = new URL(s.path, base).href;
    await waitForHttp(url, START_TIMEOUT_MS, server);
    const load = { url, connections: settings.connections };
    const warmupMs = settings.warmupMs > 0 ? await warmUp(load) : 0;
    const startOffset = eventsFile ? fileSize(eventsFile) : 0;
    const summary = await runLoad({ ...load, durationMs: durationFor(s) });
    const endOffset = eventsFile ? fileSize(eventsFile) : 0;
    if (server.hasExited()) throw new Error('the server exited during the run');
    const memory = finishSampling();
    await server.stop();
    const eventData = eventsFile ? readFileSync(eventsFile) : null;
    const live = eventData ? liveInstancesInWindow(eventData, startOffset, endOffset) : null;
    // Over the server's whole life: with reuse most instances start during the warm-up.
    const starts = eventData ? startStats(instanceStarts(eventData).startMs) : null;
    const warnings: string[] = [];
    const ok = Object.entries(summary.statusCounts).reduce(
      (n, [status, count]) => (status.startsWith('2') ? n + count : n),
      0,
    );
    if (ok === 0) warnings.push(`run ${run + 1}: no 2xx response in the measured window`);
    if (eventsFile && !live) warnings.push(`run ${run + 1}: no events in the measured window`);
    const l = summary.latencyMs;
    return {
      kind: 'ok',
      warnings,
      run: {
        requestsPerSecond: summary.requestsPerSecond,
        latencyMs: l ? { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max } : null,
        responses: summary.responses,
        non2xx: summary.non2xx,
        errors: summary.errors.total,
        statusCounts: summary.statusCounts,
        peakRssMiB: Math.round((memory.peakBytes / 2 ** 20) * 10) / 10,
        processes: memory.processes,
        liveInstances: live,
        instanceStarts: starts,
        elapsedMs: summary.elapsedMs,
        warmupMs,
      },
    };
  } catch (error) {
    if (!sampled) finishSampling();
    await server.stop();
    const skip = s.kind === 'poolscope' ? skipReason(server.output()) : null;
    if (skip) return { kind: 'skipped', reason: skip };
    return {
      kind: 'failed',
      reason: `${error instanceof Error ? error.message : String(error)}${lastOutput(server)}`,
    };
  }
}

/** The measured window: --quick stretches it for rows whose requests outlast 1 s (unless --duration was given). */
function durationFor(s: BenchSetup): number {
  return flags.quick && flags.duration === undefined && s.quickDurationMs
    ? Math.max(settings.durationMs, s.quickDurationMs)
    : settings.durationMs;
}

/** The longest warm-up: long enough for a pool that spawns its first 50 instances at once (--quick: 5 s, a smoke test). */
function maxWarmupMs(): number {
  return Math.max(settings.warmupMs * 5, flags.quick ? 5000 : 15_000);
}

/**
 * Load until the server is past its start-up: at least `warmupMs`, then until three consecutive
 * one-second rates are non-zero and each within 15% of the one before (a pool spawning its first
 * 50 instances ramps up over seconds), but never longer than `maxWarmupMs()`. Returns how long
 * it took.
 */
async function warmUp(load: { url: string; connections: number }): Promise<number> {
  const controller = new AbortController();
  const rates: number[] = [];
  let nextSecond = 1000;
  const summary = await runLoad(
    { ...load, durationMs: maxWarmupMs(), signal: controller.signal, progressIntervalMs: 100 },
    (update) => {
      if (update.elapsedMs < nextSecond) return;
      nextSecond += 1000;
      rates.push(update.rate);
      const last = rates.slice(-3);
      const steady =
        last.length === 3 &&
        last.every((r) => r > 0) &&
        last.every((r, i) => {
          const previous = last[i - 1];
          return previous === undefined || Math.abs(r - previous) <= 0.15 * previous;
        });
      if (update.elapsedMs >= settings.warmupMs && steady) controller.abort();
    },
  );
  return summary.elapsedMs;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A setup (or cold burst) with the row its runs fill in. */
interface SetupRun {
  s: BenchSetup;
  row: RowResult;
}
interface BurstRun {
  b: BurstScenario;
  row: BurstRowResult;
}

async function main(): Promise<number> {
  const machine = machineInfo();
  log(
    `${machine.nproc} CPUs, ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  if (flags.build) {
    log('building demo guests (cached) …');
    const build = spawnSync(process.execPath, ['assets/guests/build.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: GUEST_BUILD_TIMEOUT_MS,
    });
    if (build.status !== 0)
      log(
        `warning: the demo guest build failed (${build.status ?? build.signal}); rows that need a demo guest may fail`,
      );
  }

  // Each setup with its row, so the loops below need no index into a parallel array.
  const measured = selected.map(
    (s): SetupRun => ({
      s,
      row: { id: s.id, label: s.label, group: s.group, status: 'ok', runs: [], median: null, warnings: [] },
    }),
  );
  const bursting = selectedBursts.map(
    (b): BurstRun => ({ b, row: { id: b.id, label: b.label, status: 'ok', runs: [], median: null, warnings: [] } }),
  );
  const rows = measured.map(({ row }) => row);
  const overhead: OverheadResult | null = overheadSelected
    ? { id: DASHBOARD_OVERHEAD_ID, label: OVERHEAD_LABEL, status: 'ok', windows: [] }
    : null;
  const burstRows = bursting.map(({ row }) => row);
  for (let run = 0; run < settings.runs; run++) {
    for (const { s, row } of measured) {
      if (row.status !== 'ok') continue; // skipped or failed once: not retried
      const t0 = performance.now();
      const outcome = await measureOnce(s, run);
      const took = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
      if (outcome.kind === 'ok') {
        row.runs.push(outcome.run);
        row.warnings.push(...outcome.warnings);
        const r = outcome.run;
        const live = r.liveInstances
          ? `, live instances peak ${r.liveInstances.peak} avg ${r.liveInstances.average}`
          : '';
        const starts =
          r.instanceStarts && r.instanceStarts.p50Ms !== null
            ? `, ${r.instanceStarts.count} instances started in p50 ${r.instanceStarts.p50Ms} ms / p99 ${r.instanceStarts.p99Ms} ms`
            : '';
        const p99 = r.latencyMs ? `${r.latencyMs.p99.toPrecision(3)} ms` : '–';
        log(
          `[run ${run + 1}/${settings.runs}] ${s.label}: ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} req/s, p99 ${p99}, peak RSS ${Math.round(r.peakRssMiB)} MiB${live}${starts}; warm-up ${(r.warmupMs / 1000).toFixed(1)} s (${took})`,
        );
      } else {
        row.status = outcome.kind;
        row.reason = outcome.reason;
        log(`[run ${run + 1}/${settings.runs}] ${s.label}: ${outcome.kind}: ${outcome.reason}`);
      }
    }
    await runBursts(bursting, run);
    if (overhead) {
      log(`[run ${run + 1}/${settings.runs}] ${OVERHEAD_LABEL}:`);
      await measureOverheadRun(overhead, settings, log, warmUp);
    }
  }
  for (const row of rows) row.median = medians(row.runs);
  for (const row of burstRows) row.median = burstMedians(row.runs);

  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    quick: flags.quick,
    settings,
    machine,
    rows,
    ratios: ratios(rows),
    bursts: burstRows,
    ...(overhead ? { dashboardOverhead: { ...overhead, summary: overheadSummary(overhead) } } : {}),
    loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  process.stdout.write(markdown(report) + burstMarkdown(burstRows) + overheadMarkdown(overhead));
  if (flags.json) {
    writeFileSync(flags.json, JSON.stringify(report, null, 2) + '\n');
    log(`wrote ${flags.json}`);
  }
  const zooCode = flags.zoo ? await runZoo() : 0;
  const failed = [...rows, ...burstRows, ...(overhead ? [overhead] : [])].filter((row) => row.status === 'failed');
  if (failed.length > 0) log(`failed: ${failed.map((row) => row.id).join(', ')}`);
  if (zooCode !== 0) return 1;
  // Only our own breakage fails the run: a peer that will not start (jco serve's worker mode
  // does not always survive a loaded machine) is reported in the table, not an exit code.
  const ours = new Set([
    ...selected.filter((s) => s.kind === 'poolscope').map((s) => s.id),
    ...selectedBursts.map((b) => b.id),
    DASHBOARD_OVERHEAD_ID,
  ]);
  return failed.some((row) => ours.has(row.id)) ? 1 : 0;
}

/**
 * `--zoo`: the real-toolchain guests (zoo.ts) as a child process, after this run's tables; its
 * table goes to the same stdout. The guests were built above, so it does not build them again.
 */
async function runZoo(): Promise<number> {
  const args = [join(REPO_ROOT, 'engine/bench/zoo.ts'), '--no-build', '-c', String(settings.connections)];
  if (flags.quick) args.push('--quick');
  if (flags.duration !== undefined) args.push('--duration', formatDuration(flags.duration));
  if (flags.warmup !== undefined) args.push('--warmup', formatDuration(flags.warmup));
  if (typeof flags.zoo === 'string') args.push('--only', flags.zoo);
  log('real-toolchain guests (engine/bench/zoo.ts) …');
  process.stdout.write('\n');
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  // If the bench ends first (its budget, an error), zoo.ts stops its own servers on SIGTERM.
  const stop = (): void => void child.kill('SIGTERM');
  process.once('exit', stop);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  process.off('exit', stop);
  if (code !== 0) log(`the real-toolchain guests (zoo.ts) exited with ${code}`);
  return code ?? 1;
}

/** This run's cold bursts, after its throughput rows (a burst row that failed once is not retried). */
async function runBursts(bursting: BurstRun[], run: number): Promise<void> {
  for (const { b, row } of bursting) {
    if (row.status !== 'ok') continue;
    const outcome = await measureBurst(b, run, { scratch, startTimeoutMs: START_TIMEOUT_MS });
    if (outcome.kind !== 'ok') {
      row.status = outcome.kind;
      row.reason = outcome.reason;
      log(`[run ${run + 1}/${settings.runs}] cold burst, ${b.label}: ${outcome.kind}: ${outcome.reason}`);
      continue;
    }
    row.runs.push(outcome.run);
    row.warnings.push(...outcome.warnings);
    const r = outcome.run;
    log(
      `[run ${run + 1}/${settings.runs}] cold burst, ${b.label}: ${r.ok}/${BURST_REQUESTS} 2xx in ${Math.round(r.elapsedMs)} ms, ${r.instancesStarted} instances started (start p50 ${r.startP50Ms ?? '–'} ms, p99 ${r.startP99Ms ?? '–'} ms), peak RSS ${Math.round(r.peakRssMiB)} MiB`,
    );
  }
}

let code = 1;
try {
  code = await main();
} finally {
  cleanUp();
}
process.exit(code);
