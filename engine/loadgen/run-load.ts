/**
 * `runLoad`: the load generator's one entry point, shared by `poolscope load`, the benchmark and
 * the dashboard's "send requests" control.
 *
 * autocannon runs on a worker thread of its own by default. In the dashboard the engine serves
 * from the same process, and a load generator on the main thread would compete with the front
 * door and the watchdog for one event loop; on its own thread it costs a core, not the server's
 * loop. (autocannon's own `workers` option would also move it off the main thread, but it
 * reports no per-response events, so no live progress or status counts.)
 */
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { threadEntry } from '../thread-entry.ts';
import { startAutocannon, type StopReason } from './autocannon-run.ts';
import {
  resolveLoadOptions,
  type LoadOptions,
  type LoadProgressUpdate,
  type LoadSummary,
  type ResolvedLoadOptions,
} from './options.ts';

export type ToLoadThread = { type: 'stop'; reason: StopReason };
export type FromLoadThread =
  | { type: 'progress'; progress: LoadProgressUpdate }
  | { type: 'summary'; summary: LoadSummary }
  | { type: 'error'; message: string };

const THREAD_ENTRY = threadEntry(new URL('./load-thread.ts', import.meta.url));
/** How long a stopping load thread may take before it is terminated. */
const STOP_GRACE_MS = 5000;
const CONNECT_CHECK_TIMEOUT_MS = 5000;

/** The target cannot be reached at all (checked with one connection before the run). */
export class LoadTargetError extends Error {
  override name = 'LoadTargetError';
}

/**
 * Sends load to `options.url` and resolves with the summary. Throws `InvalidLoadOptionsError` for
 * bad options and `LoadTargetError` when nothing listens there; an aborted run resolves with what
 * was measured (`aborted: true`).
 */
export async function runLoad(
  options: LoadOptions,
  onProgress: (progress: LoadProgressUpdate) => void = () => {},
): Promise<LoadSummary> {
  const resolved = resolveLoadOptions(options);
  const signal = options.signal;
  if (signal?.aborted) return emptySummary(resolved);
  await checkReachable(resolved.url, Math.min(resolved.timeoutMs, CONNECT_CHECK_TIMEOUT_MS));
  if (signal?.aborted) return emptySummary(resolved);
  return options.thread === 'current'
    ? runHere(resolved, onProgress, signal)
    : runOnThread(resolved, onProgress, signal);
}

function runHere(
  o: ResolvedLoadOptions,
  onProgress: (progress: LoadProgressUpdate) => void,
  signal: AbortSignal | undefined,
): Promise<LoadSummary> {
  const run = startAutocannon(o, onProgress);
  const onAbort = (): void => run.stop('abort');
  signal?.addEventListener('abort', onAbort, { once: true });
  return run.done.finally(() => signal?.removeEventListener('abort', onAbort));
}

function runOnThread(
  o: ResolvedLoadOptions,
  onProgress: (progress: LoadProgressUpdate) => void,
  signal: AbortSignal | undefined,
): Promise<LoadSummary> {
  return new Promise<LoadSummary>((resolve, reject) => {
    const worker = new Worker(THREAD_ENTRY, { workerData: { options: o }, stdin: false });
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (graceTimer) clearTimeout(graceTimer);
      void worker.terminate();
      action();
    };
    const onAbort = (): void => {
      worker.postMessage({ type: 'stop', reason: 'abort' } satisfies ToLoadThread);
      graceTimer = setTimeout(
        () => settle(() => reject(new Error(`the load thread did not stop within ${STOP_GRACE_MS} ms`))),
        STOP_GRACE_MS,
      );
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: FromLoadThread) => {
      if (message.type === 'progress') {
        if (!settled) onProgress(message.progress);
      } else if (message.type === 'summary') {
        settle(() => resolve(message.summary));
      } else {
        settle(() => reject(new Error(`load generator failed: ${message.message}`)));
      }
    });
    worker.on('error', (error: Error) => settle(() => reject(new Error(`load thread crashed: ${error.message}`))));
    worker.on('exit', (code) => settle(() => reject(new Error(`load thread exited (code ${code}) before reporting`))));
  });
}

/** One TCP connection to the target, so "nothing listens there" is one clear error, not a flood of refused connections. */
export function checkReachable(url: string, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new LoadTargetError(`cannot connect to ${target.host}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no connection after ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

function emptySummary(o: ResolvedLoadOptions): LoadSummary {
  return {
    url: o.url,
    method: o.method,
    mode: o.rate !== null ? 'open-loop' : 'closed-loop',
    connections: o.connections,
    targetRate: o.rate,
    startedAt: new Date().toISOString(),
    elapsedMs: 0,
    stoppedBy: 'abort',
    aborted: true,
    sent: 0,
    responses: 0,
    unanswered: 0,
    requestsPerSecond: 0,
    latencyMs: null,
    statusCounts: {},
    non2xx: 0,
    errors: { total: 0, connection: 0, timeouts: 0, byCode: {} },
  };
}
