/**
 * `npm run soak`: long runs of the real CLI under steady load, printing the server's RSS and
 * thread count as they go, then after an idle period. A leak of memory or threads shows as a
 * trend that does not level off, or as numbers after idle far above those at the start.
 *
 *   node engine/bench/soak.ts [--duration 150s] [--idle 10s] [--only hello|counter]
 *
 * Each soak stops by itself; the defaults (two soaks of 150 s) take about five minutes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../base/duration.ts';
import { formatBytes } from '../../base/bytes.ts';
import { runLoad } from '../loadgen/index.ts';
import { freePort, memoryOf, startProcess, threadsOf, waitForOutput } from './processes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'engine/cli/poolscope.ts');

const SOAKS = [
  { name: 'hello', args: ['demo:hello', '--max-instance-reuse-count', '128'], label: 'demo:hello, reuse 128' },
  { name: 'counter', args: ['demo:counter', '--max-instance-reuse-count', '1'], label: 'demo:counter, reuse 1' },
] as const;

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const durationMs = parseDuration(flag('duration') ?? '150s');
const idleMs = parseDuration(flag('idle') ?? '10s');
const only = flag('only');
const SAMPLE_MS = 10_000;

function sampleLine(label: string, pid: number): { rss: number; threads: number } {
  const rss = memoryOf(pid)?.rss ?? 0;
  const threads = threadsOf(pid);
  console.log(`  ${label.padEnd(10)} rss ${formatBytes(rss).padStart(10)}   threads ${String(threads).padStart(4)}`);
  return { rss, threads };
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const rows: string[] = [];
for (const soak of SOAKS.filter((s) => !only || s.name === only)) {
  const port = await freePort();
  const server = startProcess([CLI, 'serve', ...soak.args, '--addr', `127.0.0.1:${port}`], { cwd: ROOT });
  await waitForOutput(server, /Serving HTTP on/, 120_000);
  console.log(`${soak.label}: ${durationMs / 1000} s of load (50 clients), then ${idleMs / 1000} s idle`);
  const start = sampleLine('start', server.pid);
  const began = Date.now();
  const ticker = setInterval(() => sampleLine(`+${Math.round((Date.now() - began) / 1000)} s`, server.pid), SAMPLE_MS);
  const summary = await runLoad({ url: `http://127.0.0.1:${port}/`, connections: 50, durationMs });
  clearInterval(ticker);
  const end = sampleLine('end', server.pid);
  await wait(idleMs);
  const idle = sampleLine('after idle', server.pid);
  const alive = !server.hasExited();
  console.log(
    `  ${summary.responses} responses (${Math.round(summary.requestsPerSecond)}/s), ${summary.non2xx} non-2xx, ${summary.errors.total} errors, server ${alive ? 'alive' : 'DIED'}`,
  );
  rows.push(
    `| ${soak.label} | ${formatBytes(start.rss)} / ${start.threads} | ${formatBytes(end.rss)} / ${end.threads} | ${formatBytes(idle.rss)} / ${idle.threads} | ${summary.responses} |`,
  );
  await server.stop(5000);
  if (!alive) process.exitCode = 1;
}
console.log('\n| soak | start RSS / threads | end | after idle | responses |\n|---|---|---|---|---|');
for (const row of rows) console.log(row);
