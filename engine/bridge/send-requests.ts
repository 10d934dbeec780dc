import { runLoad, toLoadProgress } from '../load/index.ts';
import type { RequestSender } from './dashboard-session.ts';

let nextRunId = 0;

/**
 * The dashboard's "send requests" control: the same load generator as `poolscope load`, closed
 * loop, `count` requests over `concurrency` keep-alive connections, with progress pushed to every
 * dashboard as it goes. Resolves with the summary.
 */
export const sendRequestsFromDashboard: RequestSender = async (serving, command, send) => {
  const runId = nextRunId++;
  const summary = await runLoad(
    {
      url: new URL(command.path, serving.frontDoor.url).href,
      method: command.method,
      connections: Math.min(command.concurrency, command.count),
      count: command.count,
    },
    (update) => send({ kind: 'load-progress', progress: toLoadProgress(runId, update) }),
  );
  return { runId, requestsPerSecond: summary.requestsPerSecond, statusCounts: summary.statusCounts, latencyMs: summary.latencyMs };
};
