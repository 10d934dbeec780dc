import type { LoadedComponent } from '../component/load.ts';
import { EventBus } from '../events/event-bus.ts';
import type { IncomingRequestInit } from '../host/p2/api.ts';
import type { ExecutorPool } from '../pool/executor-pool.ts';
import { ProxyHandler } from '../pool/proxy-handler.ts';
import { captureResponder, type CapturedOutcome } from './answer-capture.ts';

/** A replay that hangs is cut off here when the pool has no request timeout of its own. */
const DEFAULT_REPLAY_TIMEOUT_MS = 30_000;

/**
 * Answers requests on brand-new instances, outside the pool being watched: a private pool with
 * reuse 1 and its own event bus, so replays never touch the watched pool's instances, counters
 * or events. Its instances live on the watched pool's executors when given them (they are cheap),
 * otherwise on executors of its own, started when the first replay comes.
 */
export class FreshInstances {
  readonly #component: LoadedComponent;
  readonly #env: Array<[string, string]>;
  readonly #allowOutgoingHttp: boolean;
  readonly #executors: ExecutorPool | undefined;
  #pool: ProxyHandler | null = null;

  constructor(options: { component: LoadedComponent; env: Array<[string, string]>; allowOutgoingHttp: boolean; executors?: ExecutorPool }) {
    this.#executors = options.executors;
    this.#component = options.component;
    this.#env = options.env;
    this.#allowOutgoingHttp = options.allowOutgoingHttp;
  }

  /** Serves one request on a fresh instance and resolves with what it answered (body up to `maxBodyBytes`). */
  answer(init: IncomingRequestInit, timeoutMs: number | null, maxBodyBytes: number): Promise<CapturedOutcome> {
    const pool = this.#ensurePool();
    pool.setKnobs({ requestTimeoutMs: timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS });
    return new Promise((resolve) => {
      pool.handle({ id: pool.newRequestId(), receivedAt: pool.bus.now(), init, responder: captureResponder(null, maxBodyBytes, resolve) });
    });
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.shutdown();
  }

  #ensurePool(): ProxyHandler {
    this.#pool ??= new ProxyHandler({
      component: this.#component,
      bus: new EventBus(),
      knobs: { maxInstanceReuseCount: 1, maxInstanceConcurrentReuseCount: 1, maxConcurrentRequests: 16 },
      env: this.#env,
      allowOutgoingHttp: this.#allowOutgoingHttp,
      ...(this.#executors ? { executors: this.#executors } : {}),
    });
    return this.#pool;
  }
}
