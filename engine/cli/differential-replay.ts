import { Agent, request as httpRequest } from 'node:http';
import { isLeakFinding, type LeakChecked, type PoolEvent } from '../../protocol/index.ts';
import { startServing, type Serving } from '../serve.ts';

export interface ReplayRequest {
  method: string;
  path: string;
  body?: string;
}

export interface LeakFinding {
  /** The request's position in the run, from 1. */
  index: number;
  instanceId: number;
  /** Requests the reused instance had accepted when it answered this one (2 = its second). */
  reuseIndex: number;
  request: ReplayRequest;
  /** `leak`: the answers differ; `failed-on-reuse`: the reused instance failed where a fresh one answered. */
  kind: 'leak' | 'failed-on-reuse';
  /** How the reused instance failed (`failed-on-reuse`), else null. */
  failure: string | null;
  differences: string[];
}

export interface LeakReport {
  component: string;
  requests: number;
  /** Reused answers (failed ones included) compared with a fresh instance's. */
  compared: number;
  findings: LeakFinding[];
  /** Replays that could not be compared (the fresh instance failed), one message each. */
  errors: string[];
}

/**
 * `poolscope leaks`: send `count` requests one after another through a pool that reuses one
 * instance, with the in-pool leak detector replaying every reused answer on a fresh instance.
 * A difference is state an earlier request left behind in the instance.
 */
export async function findLeaks(options: {
  component: string;
  count: number;
  request: ReplayRequest;
  ignoredHeaders?: string[];
}): Promise<LeakReport> {
  const checks: LeakChecked[] = [];
  const serving = await startServing({
    component: options.component,
    listen: { host: '127.0.0.1', port: 0 },
    knobs: {
      maxInstanceReuseCount: options.count,
      maxInstanceConcurrentReuseCount: 1,
      // One instance: the next request waits for it instead of landing on a new one when it comes
      // a moment before the instance is available again (a busy machine makes that moment long).
      maxInstances: 1,
      idleInstanceTimeoutMs: 3_600_000,
    },
    leakDetection: {
      mode: 'all',
      replayUnsafeMethods: true, // the user named the method: replay it whatever it is
      maxReplaysPerSecond: 10_000, // one request at a time, each replay awaited: nothing to protect
      ...(options.ignoredHeaders ? { ignoredHeaders: options.ignoredHeaders } : {}),
    },
    beforeListen: (bus) =>
      bus.subscribe((event: PoolEvent) => {
        if (event.type === 'leak.checked') checks.push(event);
      }),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let index = 1; index <= options.count; index++) {
      await send(serving, options.request, agent);
      // One replay at a time, so none is skipped for want of a slot.
      await serving.leaks.idle();
    }
  } finally {
    agent.destroy();
    await serving.close();
  }
  const findings = checks
    .filter((check) => isLeakFinding(check.verdict))
    .map(
      (check): LeakFinding => ({
        // A fresh pool numbers requests from 0 in the order they arrive, and they arrive one by one.
        index: check.requestId + 1,
        instanceId: check.instanceId,
        reuseIndex: check.reuseIndex,
        request: options.request,
        kind: check.verdict === 'failed-on-reuse' ? 'failed-on-reuse' : 'leak',
        failure: check.verdict === 'failed-on-reuse' ? check.message : null,
        differences: check.differences,
      }),
    );
  return {
    component: options.component,
    requests: options.count,
    compared: checks.filter((check) => check.verdict !== 'error').length,
    findings,
    errors: checks
      .filter((check) => check.verdict === 'error')
      .map((check) => `request ${check.requestId + 1}: ${check.message}`),
  };
}

function send(serving: Serving, request: ReplayRequest, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(request.path, serving.frontDoor.url), { method: request.method, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}
