import { runLoad, toLoadProgress } from '../loadgen/index.ts';
import type { RequestSender } from './dashboard-session.ts';

let nextRunId = 0;

/**
 * The served address with `path` after it. Never `new URL(path, base)`: that reads `//host/x`
 * (or `/\host/x`, or `/<tab>/host/x`) as another server, and the load would go there.
 */
export function servedTarget(servedUrl: string, path: string): string {
  if (!path.startsWith('/') || /^\/[/\\]/.test(path))
    throw new Error('path must start with a single / (//host or /\\host would name another server)');
  const served = new URL(servedUrl);
  const target = new URL(served.origin + path);
  if (target.origin !== served.origin)
    throw new Error(`path ${JSON.stringify(path)} does not stay on the served address`);
  return target.href;
}

/**
 * The dashboard's "send requests" control: the same load generator as `poolscope load`, closed
 * loop, `count` requests over `concurrency` keep-alive connections, with progress pushed to every
 * dashboard as it goes. Resolves with the summary (the protocol's `LoadRunSummary`).
 */
export const sendRequestsFromDashboard: RequestSender = async (serving, command, send) => {
  const url = servedTarget(serving.frontDoor.url, command.path);
  const runId = nextRunId++;
  const summary = await runLoad(
    {
      url,
      method: command.method,
      connections: Math.min(command.concurrency, command.count),
      count: command.count,
      ...(command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {}),
    },
    (update) => send({ kind: 'load-progress', progress: toLoadProgress(runId, update) }),
  );
  const l = summary.latencyMs;
  return {
    runId,
    requestsPerSecond: summary.requestsPerSecond,
    statusCounts: summary.statusCounts,
    latencyMs: l ? { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max } : null,
    errors: summary.errors.total,
    errorBreakdown: { timeouts: summary.errors.timeouts, connection: { ...summary.errors.byCode } },
  };
};
