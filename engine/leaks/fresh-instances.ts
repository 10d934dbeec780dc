import type { LoadedComponent } from '../component/load.ts';
import { EventBus } from '../events/event-bus.ts';
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { ExecutorPool } from '../pool/executor-pool.ts';
import { ProxyHandler } from '../pool/proxy-handler.ts';
import { callOf, type OutgoingCall } from '../../protocol/index.ts';
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
  /** Who wants to hear of a replay's outgoing requests, by its request id (in the private pool). */
  readonly #outgoingListeners = new Map<number, (call: OutgoingCall) => void>();

  constructor(options: {
    component: LoadedComponent;
    env: Array<[string, string]>;
    allowOutgoingHttp: boolean;
    executors?: ExecutorPool;
  }) {
    this.#executors = options.executors;
    this.#component = options.component;
    this.#env = options.env;
    this.#allowOutgoingHttp = options.allowOutgoingHttp;
  }

  /**
   * Serves one request on a fresh instance and resolves with what it answered (body up to
   * `maxBodyBytes`). `onOutgoing` hears of each outgoing request the instance made for it, until
   * the answer is over.
   */
  answer(
    init: IncomingRequestInit,
    timeoutMs: number | null,
    maxBodyBytes: number,
    onOutgoing?: (call: OutgoingCall) => void,
  ): Promise<CapturedOutcome> {
    const pool = this.#ensurePool();
    pool.setKnobs({ requestTimeoutMs: timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS });
    const id = pool.newRequestId();
    if (onOutgoing) this.#outgoingListeners.set(id, onOutgoing);
    return new Promise((resolve) => {
      const settled = (outcome: CapturedOutcome): void => {
        this.#outgoingListeners.delete(id);
        resolve(outcome);
      };
      pool.handle({ id, receivedAt: pool.bus.now(), init, responder: captureResponder(null, maxBodyBytes, settled) });
    });
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.shutdown();
  }

  #ensurePool(): ProxyHandler {
    if (this.#pool) return this.#pool;
    const bus = new EventBus();
    // Each instance here serves one request: an outgoing request no request was named for (a
    // WASIp3 guest's work after its response) is still that one's.
    const servedBy = new Map<number, number>();
    bus.subscribe((event) => {
      if (event.type === 'request.accepted') servedBy.set(event.instanceId, event.requestId);
      else if (event.type === 'worker.exit') servedBy.delete(event.instanceId);
      else if (event.type === 'request.outgoing') {
        const requestId = event.requestId ?? servedBy.get(event.instanceId);
        if (requestId !== undefined) this.#outgoingListeners.get(requestId)?.(callOf(event));
      }
    });
    this.#pool = new ProxyHandler({
      component: this.#component,
      bus,
      knobs: { maxInstanceReuseCount: 1, maxInstanceConcurrentReuseCount: 1, maxConcurrentRequests: 16 },
      env: this.#env,
      allowOutgoingHttp: this.#allowOutgoingHttp,
      ...(this.#executors ? { executors: this.#executors } : {}),
    });
    return this.#pool;
  }
}
