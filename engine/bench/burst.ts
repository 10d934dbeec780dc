/**
 * `node engine/bench/burst.ts [--requests 2000] [--component demo:hello]`: N concurrent requests
 * (one connection each) against `poolscope serve` with default flags; prints how many were
 * answered and how, the wall time, the server's peak RSS and thread count, and how long SIGTERM
 * took to end it. The issue-11 measurement of the live-instance cap.
 */
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '../../base/bytes.ts';
import { freePort, memoryOf, startProcess, threadsOf, waitForOutput } from './processes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const flag = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
};
const count = Number(flag('requests', '2000'));
const component = flag('component', 'demo:hello');

const port = await freePort();
const server = startProcess(
  [path.join(ROOT, 'engine/cli/poolscope.ts'), 'serve', component, '--addr', `127.0.0.1:${port}`],
  { cwd: ROOT },
);
await waitForOutput(server, /Serving HTTP on/, 120_000);
let peakThreads = 0;
const sampler = setInterval(() => (peakThreads = Math.max(peakThreads, threadsOf(server.pid))), 100);

const statuses = new Map<string, number>();
const started = performance.now();
await Promise.all(
  Array.from(
    { length: count },
    () =>
      new Promise<void>((resolve) => {
        const req = request(`http://127.0.0.1:${port}/`, { agent: false, timeout: 120_000 }, (res) => {
          res.resume();
          res.on('end', () => {
            statuses.set(String(res.statusCode), (statuses.get(String(res.statusCode)) ?? 0) + 1);
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (error: NodeJS.ErrnoException) => {
          statuses.set(error.code ?? error.message, (statuses.get(error.code ?? error.message) ?? 0) + 1);
          resolve();
        });
        req.end();
      }),
  ),
);
const elapsed = performance.now() - started;
clearInterval(sampler);
const memory = memoryOf(server.pid);
const stopAt = performance.now();
server.child.kill('SIGTERM');
await server.exited;
const stopMs = performance.now() - stopAt;
console.log(
  `${count} concurrent requests to ${component} (defaults): ${[...statuses].map(([k, v]) => `${v} × ${k}`).join(', ')}`,
);
console.log(
  `  all settled in ${(elapsed / 1000).toFixed(1)} s; server peak RSS ${formatBytes(memory?.hwm ?? 0)}, peak threads ${peakThreads}; SIGTERM → exit in ${Math.round(stopMs)} ms`,
);
