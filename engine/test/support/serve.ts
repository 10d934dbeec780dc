import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after } from 'node:test';
import type { LeakDetectionSettings, LeakSkipReason, PoolEvent, PoolKnobs } from '../../../protocol/index.ts';
import { reportToStderr } from '../../events/stderr-reporter.ts';
import { startServing, type Serving } from '../../serve.ts';
import { send, type HttpResult } from './http-client.ts';

/**
 * Knobs for tests that send requests one after another and expect each to reuse the same instance:
 * at most one live instance, so the next request waits for the previous one's instance rather than
 * getting a new one when it arrives before that instance is available again (as under wasmtime, the
 * client can have the whole answer a moment before the guest's call returns; on a busy machine that
 * moment is long enough). A long idle timeout, so a slow gap between requests retires nothing.
 */
export const ONE_REUSED_INSTANCE = { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000, maxInstances: 1 };

export interface TestServer extends Serving {
  /** Every event so far, in order. */
  events: PoolEvent[];
  /** What the CLI would have printed on stderr. */
  stderr: string[];
  url(path?: string): string;
  /** Resolves when an event matching `predicate` has been (or is) emitted. */
  waitFor<T extends PoolEvent>(predicate: (event: PoolEvent) => event is T): Promise<T>;
  waitFor(predicate: (event: PoolEvent) => boolean): Promise<PoolEvent>;
}

/** Servers a failed test left behind: stopped hard at the end of the file, so nothing hangs. */
const leftovers = new Set<Serving>();
after(async () => {
  for (const serving of leftovers) {
    serving.pool.terminate();
    await serving.frontDoor.close();
  }
});

/** The real engine on a free loopback port, with its events and stderr recorded. */
export async function serveForTest(
  component: string,
  knobs: Partial<PoolKnobs> = {},
  options: {
    loggingPrefix?: boolean;
    leakDetection?: Partial<LeakDetectionSettings>;
    executors?: number;
    allowOutgoingHttp?: boolean;
  } = {},
): Promise<TestServer> {
  const loggingPrefix = options.loggingPrefix ?? true;
  const events: PoolEvent[] = [];
  const stderr: string[] = [];
  const waiters: Array<{ predicate: (event: PoolEvent) => boolean; resolve: (event: PoolEvent) => void }> = [];
  const serving = await startServing({
    component,
    knobs,
    ...(options.leakDetection ? { leakDetection: options.leakDetection } : {}),
    ...(options.executors !== undefined ? { executors: options.executors } : {}),
    ...(options.allowOutgoingHttp !== undefined ? { allowOutgoingHttp: options.allowOutgoingHttp } : {}),
    listen: { host: '127.0.0.1', port: 0 },
    onFrontDoorError: (message) => stderr.push(`error: ${message}`),
    beforeListen: (bus) => {
      reportToStderr(bus, { loggingPrefix, write: (line) => stderr.push(line) });
      bus.subscribe((event) => {
        events.push(event);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(event)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(event);
          }
        }
      });
    },
  });
  leftovers.add(serving);
  return {
    ...serving,
    close: async () => {
      leftovers.delete(serving);
      await serving.close();
    },
    events,
    stderr,
    url: (path = '/') => new URL(path, serving.frontDoor.url).href,
    waitFor: ((predicate: (event: PoolEvent) => boolean) =>
      new Promise<PoolEvent>((resolve) => {
        const seen = events.find(predicate);
        if (seen) resolve(seen);
        else waiters.push({ predicate, resolve });
      })) as TestServer['waitFor'],
  };
}

export function eventsOf<K extends PoolEvent['type']>(
  events: PoolEvent[],
  type: K,
): Array<Extract<PoolEvent, { type: K }>> {
  return events.filter((event): event is Extract<PoolEvent, { type: K }> => event.type === type);
}

/** Leak-detection skips summed over every `leak.skipped` report, by reason. */
export function skipCounts(server: { events: PoolEvent[] }): Partial<Record<LeakSkipReason, number>> {
  const total: Partial<Record<LeakSkipReason, number>> = {};
  for (const event of eventsOf(server.events, 'leak.skipped')) {
    for (const [reason, n] of Object.entries(event.counts) as Array<[LeakSkipReason, number]>)
      total[reason] = (total[reason] ?? 0) + n;
  }
  return total;
}

/**
 * Sequential requests on one keep-alive connection (so one instance serves them all), waiting for
 * each one's leak replay so none is skipped for want of a slot.
 */
export async function sendAndSettle(
  server: TestServer,
  count: number,
  options: { method?: string; path?: string } = {},
): Promise<HttpResult[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const answers: HttpResult[] = [];
  try {
    for (let i = 0; i < count; i++) {
      answers.push(
        await send(server.url(options.path), { agent, ...(options.method ? { method: options.method } : {}) }),
      );
      await server.leaks.idle();
    }
  } finally {
    agent.destroy();
  }
  return answers;
}

/**
 * Two requests to `server` (leak detection on, one instance reused): the fresh instance answers,
 * the reused one fails, and the one leak check says so, as a failure whose message matches `message`.
 */
export async function assertFailsOnlyOnReuse(server: TestServer, message: RegExp): Promise<void> {
  const statuses = (await sendAndSettle(server, 2)).map((answer) => answer.status);
  assert.deepEqual(statuses, [200, 500]);
  const [check, ...more] = eventsOf(server.events, 'leak.checked');
  assert.deepEqual(more, []);
  assert.ok(check);
  assert.equal(check.verdict, 'failed-on-reuse');
  assert.equal(check.reuseIndex, 2);
  assert.match(check.message ?? '', message);
  assert.deepEqual(check.differences, [
    `outcome: ${JSON.stringify(check.message)} on the reused instance, 200 on a fresh one`,
  ]);
}
