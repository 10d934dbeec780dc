import { Agent, request } from 'node:http';
import { runLoad } from '../loadgen/index.ts';

/** The ways a scenario drives its guest. Every function stops early when `signal` aborts. */

/** Closed loop: `connections` keep-alive clients for `durationMs` (the load generator on its own thread). */
export async function closedLoop(
  url: string,
  options: { connections: number; durationMs: number; signal: AbortSignal },
): Promise<void> {
  await runLoad({ url, connections: options.connections, durationMs: options.durationMs, signal: options.signal });
}

/** One request after another on one keep-alive connection, with `between` awaited after each. */
export async function oneByOne(
  url: string,
  count: number,
  options: { signal: AbortSignal; between?: () => Promise<void> },
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: number[] = [];
  try {
    for (let i = 0; i < count && !options.signal.aborted; i++) {
      statuses.push(await get(url, agent, options.signal));
      await options.between?.();
    }
  } finally {
    agent.destroy();
  }
  return statuses;
}

/** All at once, each on its own connection; resolves with every status (0 for a broken connection). */
export function allAtOnce(urls: string[], signal: AbortSignal): Promise<number[]> {
  return Promise.all(urls.map((url) => get(url, false, signal)));
}

export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A GET whose status is all a scenario needs; failures to connect count as status 0. */
function get(url: string, agent: Agent | false, signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent, signal }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}
