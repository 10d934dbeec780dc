import type { ScenarioInfo } from '../../protocol/index.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';
import { allAtOnce, closedLoop, oneByOne, pause } from './traffic.ts';

/** The five built-in walkthroughs. Captions are written for a viewer watching the dashboard. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'fresh-vs-reused',
    title: 'Fresh vs reused instances',
    summary: 'The same load with max reuse 1 and 128: throughput and instance churn side by side.',
    steps: [
      {
        caption:
          'demo:hello with max-instance-reuse-count 1: every request gets a brand-new instance. Watch instances start and retire as fast as requests arrive.',
        run: async (ctx) => {
          await ctx.serve('demo:hello', { maxInstanceReuseCount: 1 });
          // Unmeasured warm-up: the first threads' start-up is not what this compares.
          await closedLoop(ctx.url(), { connections: 10, durationMs: ctx.duration(1), signal: ctx.signal });
          await ctx.measure('reuse 1', () =>
            closedLoop(ctx.url(), { connections: 10, durationMs: ctx.duration(4), signal: ctx.signal }),
          );
        },
      },
      {
        caption:
          'Now each instance may serve 128 requests before it retires. Same load: a handful of instances do all the work.',
        run: async (ctx) => {
          await ctx.setKnobs({ maxInstanceReuseCount: 128 });
          await ctx.measure('reuse 128', () =>
            closedLoop(ctx.url(), { connections: 10, durationMs: ctx.duration(4), signal: ctx.signal }),
          );
        },
      },
      {
        caption: ([fresh, reused]) =>
          `Reuse answered ${ratio(reused?.requestsPerSecond, fresh?.requestsPerSecond)}× the requests per second, starting ${reused?.instancesStarted ?? '?'} instances instead of ${fresh?.instancesStarted ?? '?'}. Instantiation, not the handler, was the cost.`,
      },
    ],
  },
  {
    name: 'state-leaks',
    title: 'State leaking between requests',
    summary: 'The counter guest under reuse, and the leak detector catching the state it leaves behind.',
    steps: [
      {
        caption:
          'demo:counter keeps a counter in a global, so a fresh instance always answers count=1. Leak detection is on: each reused answer is replayed on a fresh instance outside the pool.',
        run: async (ctx) => {
          await ctx.serve(
            'demo:counter',
            { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000 },
            { mode: 'all' },
          );
        },
      },
      {
        caption: 'Six requests, one after another, through one reused instance.',
        run: async (ctx) => {
          // No rate: each request waits for its leak replay, so a rate would measure the replays
          // (it read 5 req/s against 52 without reuse, the opposite of the lesson).
          await ctx.measure(
            'reuse 128',
            () => oneByOne(ctx.url(), 6, { signal: ctx.signal, between: () => ctx.leaksSettled() }),
            { rate: false },
          );
        },
      },
      {
        caption: ([reused]) =>
          `The detector flagged ${reused?.leaks ?? 0} of ${reused?.leakChecks ?? 0} reused answers: the reused instance said count=2 where a fresh one says count=1. Click a ⚠ badge to see the difference.`,
      },
      {
        caption: 'With max reuse 1 every request gets a fresh instance: nothing is left behind, so nothing can leak.',
        run: async (ctx) => {
          await ctx.setKnobs({ maxInstanceReuseCount: 1 });
          await ctx.measure(
            'reuse 1',
            () => oneByOne(ctx.url(), 4, { signal: ctx.signal, between: () => ctx.leaksSettled() }),
            { rate: false },
          );
        },
      },
      {
        caption: ([reused, fresh]) =>
          `${reused?.leaks ?? 0} findings with reuse, ${fresh?.leaks ?? 0} without. Reuse is only safe for guests that reset their globals per request.`,
      },
    ],
  },
  {
    name: 'timeouts',
    title: 'Timeouts drain, the watchdog kills',
    summary: 'A request timeout on a waiting WASIp3 guest, then on a WASIp2 guest that spins forever.',
    steps: [
      {
        // Far apart on purpose (20 ms against a 1 s timeout against 2 s), so the demo tells the same
        // story on a busy machine as on an idle one.
        caption:
          'demo:p3-delay with a 1 s request timeout. One request waits 2 s, three others 20 ms, all on one instance.',
        run: async (ctx) => {
          await ctx.serve('demo:p3-delay', { requestTimeoutMs: 1000, idleInstanceTimeoutMs: 60_000 });
          await oneByOne(ctx.url('/?ms=1'), 1, { signal: ctx.signal }); // one warm instance takes them all
          await ctx.measure('WASIp3 expiry', () =>
            allAtOnce([ctx.url('/?ms=2000'), ctx.url('/?ms=20'), ctx.url('/?ms=20'), ctx.url('/?ms=20')], ctx.signal),
          );
        },
      },
      {
        caption: ([expiry]) =>
          `The slow request failed with "guest timed out" (${expiry?.timeouts ?? 0} timeout) while the fast ones were answered. Its instance then drained: it took no new work and ${
            expiry?.watchdogKills ? 'its lingering task was ended by the watchdog' : 'retired once its last task ended'
          }.`,
      },
      {
        caption:
          'demo:spin loops forever, with a 200 ms timeout. A WASIp2 handle() cannot be interrupted politely, so the watchdog kills its instance.',
        run: async (ctx) => {
          await ctx.serve('demo:spin', { requestTimeoutMs: 200 });
          await ctx.measure('WASIp2 watchdog', () => oneByOne(ctx.url(), 2, { signal: ctx.signal }));
        },
      },
      {
        caption: ([, watchdog]) =>
          `The watchdog killed ${watchdog?.watchdogKills ?? 0} instances, one per stuck request; each caller got a 500 and the server kept serving. Graceful drain where the guest can yield, a kill where it cannot.`,
      },
    ],
  },
  {
    name: 'trap-blast-radius',
    title: 'The blast radius of a trap',
    summary:
      'One trapping request under concurrent reuse (WASIp3) takes every request on its instance with it; under serial reuse, only itself.',
    steps: [
      {
        caption:
          'demo:p3-trap under concurrent reuse: one instance serves up to 16 requests at once. Eight slow requests are in flight when one request to /trap arrives.',
        run: async (ctx) => {
          await ctx.serve('demo:p3-trap', { maxInstanceConcurrentReuseCount: 16, idleInstanceTimeoutMs: 60_000 });
          await oneByOne(ctx.url('/?ms=1'), 1, { signal: ctx.signal });
          await ctx.measure('concurrent reuse 16', () => trapAmongSlowRequests(ctx.url.bind(ctx), ctx.signal));
        },
      },
      {
        caption: ([concurrent]) =>
          `The trap killed the instance and every request in flight on it: ${concurrent?.failed ?? 0} requests failed for one bad one.`,
      },
      {
        caption:
          'Now max concurrent reuse 1 (serial reuse): each instance holds one request at a time. The same nine requests.',
        run: async (ctx) => {
          await ctx.setKnobs({ maxInstanceConcurrentReuseCount: 1 });
          await ctx.measure('concurrent reuse 1', () => trapAmongSlowRequests(ctx.url.bind(ctx), ctx.signal));
        },
      },
      {
        caption: ([concurrent, serial]) =>
          `Blast radius: ${concurrent?.failed ?? 0} failed requests under concurrent reuse against ${serial?.failed ?? 0} under serial reuse, which needed ${serial?.peakLiveInstances ?? 0} instances at once instead of ${concurrent?.peakLiveInstances ?? 0}.`,
      },
    ],
  },
  {
    name: 'io-concurrency',
    title: 'I/O-bound concurrency',
    summary: 'A handler that waits 40 ms, with and without concurrent reuse: live instances compared.',
    steps: [
      {
        caption:
          'demo:p3-delay waits 40 ms per request, like a call to a database. With concurrent reuse, an instance takes other requests while each one waits. 30 clients.',
        run: async (ctx) => {
          await ctx.serve('demo:p3-delay', { maxInstanceConcurrentReuseCount: 16 });
          await ioLoad(ctx, 'concurrent reuse 16');
        },
      },
      {
        caption:
          'Same load with max concurrent reuse 1: an instance holds one request at a time, so the pool needs an instance per waiting request.',
        run: async (ctx) => {
          await ctx.setKnobs({ maxInstanceConcurrentReuseCount: 1 });
          await ioLoad(ctx, 'concurrent reuse 1');
        },
      },
      {
        caption: ([concurrent, serial]) =>
          `Concurrent reuse kept ${fixed(concurrent?.averageLiveInstances)} instances alive on average (peak ${concurrent?.peakLiveInstances ?? '?'}) against ${fixed(serial?.averageLiveInstances)} (peak ${serial?.peakLiveInstances ?? '?'}), at ${Math.round(concurrent?.requestsPerSecond ?? 0)} vs ${Math.round(serial?.requestsPerSecond ?? 0)} requests per second.`,
      },
    ],
  },
];

export function scenarioInfos(): ScenarioInfo[] {
  return SCENARIOS.map(({ name, title, summary, steps }) => ({ name, title, summary, steps: steps.length }));
}

export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario '${name}'; available: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return scenario;
}

/**
 * 30 clients on the 40 ms handler: an unmeasured second first, so both sides are compared once
 * their instances are up (starting 30 instances takes seconds here), then the measured phase.
 */
async function ioLoad(ctx: ScenarioContext, label: string): Promise<void> {
  const load = (seconds: number) =>
    closedLoop(ctx.url('/?ms=40'), { connections: 30, durationMs: ctx.duration(seconds), signal: ctx.signal });
  await load(1.5);
  await ctx.measure(label, () => load(4));
}

/** Eight requests that wait 600 ms, then, once they are on an instance, one that traps. */
async function trapAmongSlowRequests(url: (path?: string) => string, signal: AbortSignal): Promise<void> {
  const slow = allAtOnce(
    Array.from({ length: 8 }, () => url('/?ms=600')),
    signal,
  );
  await pause(200, signal);
  await Promise.all([slow, allAtOnce([url('/trap')], signal)]);
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a && b ? (a / b).toFixed(1) : '?';
}

function fixed(value: number | undefined): string {
  return value === undefined ? '?' : value.toFixed(1);
}
