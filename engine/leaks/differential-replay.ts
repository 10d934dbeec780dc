import { Agent, request as httpRequest } from 'node:http';
import type { PoolEvent } from '../protocol/index.ts';
import { startServing, type Serving } from '../serve.ts';

/** Headers that differ between two honest answers (dates, ids), ignored unless asked otherwise. */
export const DEFAULT_IGNORED_HEADERS = ['date', 'x-request-id', 'x-trace-id', 'traceparent', 'etag', 'last-modified', 'set-cookie'];
/** Connection-level headers, set by the front door per connection, never by the guest. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding'];

export interface ReplayRequest {
  method: string;
  path: string;
  body?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface LeakFinding {
  /** The request's position in the run, from 1. */
  index: number;
  instanceId: number;
  /** Requests the reused instance had accepted when it answered this one (2 = its second). */
  reuseIndex: number;
  request: ReplayRequest;
  differences: string[];
}

export interface LeakReport {
  component: string;
  requests: number;
  /** Requests answered by an instance that had served before (the ones that were compared). */
  compared: number;
  findings: LeakFinding[];
}

/**
 * Differential replay: send `count` requests one after another through a pool that reuses one
 * instance, replay each reused answer's request on a fresh instance (a second pool with reuse 1,
 * outside the first), and report every answer that differs. A difference is state an earlier
 * request left behind in the instance.
 */
export async function findLeaks(options: {
  component: string;
  count: number;
  request: ReplayRequest;
  ignoredHeaders?: string[];
}): Promise<LeakReport> {
  const ignored = new Set([...(options.ignoredHeaders ?? DEFAULT_IGNORED_HEADERS), ...HOP_BY_HOP].map((h) => h.toLowerCase()));
  const listen = { host: '127.0.0.1', port: 0 };
  const accepted: Array<{ requestId: number; instanceId: number; reuseCount: number }> = [];
  const reused = await startServing({
    component: options.component,
    listen,
    knobs: { maxInstanceReuseCount: options.count, maxInstanceConcurrentReuseCount: 1, idleInstanceTimeoutMs: 3_600_000 },
    beforeListen: (bus) =>
      bus.subscribe((event: PoolEvent) => {
        if (event.type === 'request.accepted') accepted.push(event);
      }),
  });
  const fresh = await startServing({ component: options.component, listen, knobs: { maxInstanceReuseCount: 1 } });
  try {
    const findings: LeakFinding[] = [];
    let compared = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let index = 1; index <= options.count; index++) {
      const answer = await send(reused, options.request, agent);
      const acceptance = accepted.at(-1);
      if (!acceptance || acceptance.reuseCount < 2) continue; // a fresh instance answered: nothing to compare
      compared++;
      const baseline = await send(fresh, options.request);
      const differences = compare(answer, baseline, ignored);
      if (differences.length > 0) {
        findings.push({ index, instanceId: acceptance.instanceId, reuseIndex: acceptance.reuseCount, request: options.request, differences });
      }
    }
    agent.destroy();
    return { component: options.component, requests: options.count, compared, findings };
  } finally {
    await Promise.all([reused.close(), fresh.close()]);
  }
}

function compare(reused: Answer, fresh: Answer, ignored: Set<string>): string[] {
  const differences: string[] = [];
  if (reused.status !== fresh.status) differences.push(`status: ${reused.status} on the reused instance, ${fresh.status} on a fresh one`);
  const names = new Set([...Object.keys(reused.headers), ...Object.keys(fresh.headers)]);
  for (const name of [...names].sort()) {
    if (ignored.has(name) || reused.headers[name] === fresh.headers[name]) continue;
    differences.push(`header ${name}: ${show(reused.headers[name])} on the reused instance, ${show(fresh.headers[name])} on a fresh one`);
  }
  if (reused.body !== fresh.body) differences.push(`body: ${quote(reused.body)} on the reused instance, ${quote(fresh.body)} on a fresh one`);
  return differences;
}

function show(value: string | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** Bodies in a diff line, cut at 200 characters to stay readable. */
function quote(body: string): string {
  return JSON.stringify(body.length > 200 ? `${body.slice(0, 200)}…` : body);
}

function send(serving: Serving, request: ReplayRequest, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(request.path, serving.frontDoor.url), { method: request.method, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}
