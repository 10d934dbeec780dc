/**
 * A real `ProxyHandler` on the fakes (fakes.ts): instances the test plays and a clock it moves,
 * with the pool's events kept as one short line each (`take`) and whole (`events`). Only the
 * tests of engine/pool import this.
 */
import { EventBus } from '../events/event-bus.ts';
import type { PoolEvent, PoolKnobs, World } from '../../protocol/index.ts';
import { clientRequest, describe, FakeClock, FakeInstanceHost } from './fakes.ts';
import { ProxyHandler } from './proxy-handler.ts';

export function fakePool(world: World, knobs: Partial<PoolKnobs> = {}) {
  const clock = new FakeClock();
  const host = new FakeInstanceHost();
  const bus = new EventBus();
  const events: PoolEvent[] = [];
  let log: string[] = [];
  bus.subscribe((event) => {
    events.push(event);
    const line = describe(event);
    if (line) log.push(line);
  });
  const pool = new ProxyHandler({ world, instances: host, clock, bus, knobs });
  return {
    pool,
    clock,
    host,
    /** Every event so far, in order. */
    events,
    /** A client sends a request now. */
    send(options: { manualWrites?: boolean } = {}) {
      const client = clientRequest(pool.newRequestId(), clock.now(), options);
      pool.handle(client.request);
      return client;
    },
    /** The events since the last call, one line each. */
    take(): string[] {
      const taken = log;
      log = [];
      return taken;
    },
  };
}

/** Lets queued microtasks run (the pool coalesces its gauges, and `shutdown` waits on them). */
export function microtasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
