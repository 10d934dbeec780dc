import type { EventBus } from '../events/event-bus.ts';
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { PoolRequest } from '../pool/request.ts';
import {
  applyLeakDetectionPatch,
  callOf,
  isSafeMethod,
  MAX_LEAK_OUTGOING_CALLS,
  MAX_QUEUED_REPLAY_BYTES,
  type FailureKind,
  type LeakChecked,
  type OutgoingCall,
  type LeakDetectionSettings,
  type LeakSkipReason,
  type PoolEvent,
} from '../../protocol/index.ts';
import { captureResponder, type CapturedOutcome } from './answer-capture.ts';
import type { FreshInstances } from './fresh-instances.ts';
import { judgeReplay, type JudgedOutcome } from './verdict.ts';

/** Answers larger than this are not kept for comparison (the replay would cost as much again). */
export const MAX_COMPARED_BODY_BYTES = 1024 * 1024;
/** Skips are summed and reported at most this often, so a flood of them stays one event a second. */
const SKIP_REPORT_INTERVAL_MS = 1000;
/** Failures that say nothing about the instance (the pool closed, the client left): never replayed. */
const NOT_THE_GUESTS_DOING = new Set<FailureKind>(['shutdown', 'client-gone', 'refused']);

interface Watched {
  /**
   * The request as it entered the pool (its body copied), to replay as it was; null for a method
   * with side effects that is not to be replayed (watched only to count it if a reused instance served it).
   */
  init: IncomingRequestInit | null;
  /** Set when an instance accepts the request. */
  instanceId: number | null;
  reuseIndex: number;
  /** Outgoing requests reported for it, the first `MAX_LEAK_OUTGOING_CALLS` kept. */
  outgoing: OutgoingCalls;
}

interface OutgoingCalls {
  calls: OutgoingCall[];
  total: number;
}

/** A reused answer waiting for a replay slot. */
interface QueuedReplay {
  requestId: number;
  instanceId: number;
  watched: Watched & { init: IncomingRequestInit };
  reused: JudgedOutcome;
  /** Its request body and the reused answer's body: what it holds while it waits. */
  bytes: number;
}

function addCall(into: OutgoingCalls, call: OutgoingCall): void {
  into.total++;
  if (into.calls.length < MAX_LEAK_OUTGOING_CALLS) into.calls.push(call);
}

/**
 * The leak detector inside a running pool. It tees the answers of sampled requests; when one came
 * from a reused instance (its 2nd…Nth request), it replays the same request on a fresh instance
 * and reports a `leak.checked` event with the differences. Replays run outside the pool and are
 * bounded: `maxConcurrentReplays` at once and `maxReplaysPerSecond` started; an answer that finds
 * every slot busy, or the second's budget spent, waits in a FIFO queue of at most
 * `maxQueuedReplays` answers and `MAX_QUEUED_REPLAY_BYTES` of bodies (so sequential traffic is
 * checked in full), and beyond that is skipped and counted (`queue-full`).
 */
export class LeakSampler {
  readonly #bus: EventBus;
  readonly #fresh: FreshInstances;
  readonly #requestTimeoutMs: () => number | null;
  readonly #watched = new Map<number, Watched>();
  readonly #unsubscribe: () => void;
  #settings: LeakDetectionSettings;
  #replaying = 0;
  readonly #queue: QueuedReplay[] = [];
  #queuedBytes = 0;
  #idleWaiters: Array<() => void> = [];
  #skips: Partial<Record<LeakSkipReason, number>> = {};
  #skipTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Token bucket for `maxReplaysPerSecond`: replays that may start now, refilled with time. */
  #replayTokens = 0;
  #tokensAt = performance.now();
  /** Set while queued replays wait for the budget to refill. */
  #refillTimer: NodeJS.Timeout | undefined;

  constructor(options: {
    bus: EventBus;
    fresh: FreshInstances;
    /** Already validated (`startServing` checks them); later changes go through `setSettings`. */
    settings: LeakDetectionSettings;
    /** The watched pool's request timeout, which bounds replays too. */
    requestTimeoutMs: () => number | null;
  }) {
    this.#bus = options.bus;
    this.#fresh = options.fresh;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#settings = options.settings;
    this.#replayTokens = bucketSize(options.settings.maxReplaysPerSecond);
    this.#unsubscribe = this.#bus.subscribe((event) => this.#onEvent(event));
  }

  get settings(): LeakDetectionSettings {
    return { ...this.#settings, ignoredHeaders: [...this.#settings.ignoredHeaders] };
  }

  setSettings(patch: unknown): { ok: true; settings: LeakDetectionSettings } | { ok: false; error: string } {
    const result = applyLeakDetectionPatch(this.#settings, patch);
    if (!result.ok) return result;
    this.#settings = result.settings;
    // Turned off: what is still queued is not replayed (up to 64 fresh instances, each up to the
    // request timeout, after the user said stop), counted as `stopped`; a running replay finishes.
    if (result.settings.mode === 'off') this.#dropQueued();
    else {
      // A new rate: the wait for the next token is worked out again.
      this.#cancelRefill();
      // More slots: queued replays take them now, not when the running one ends.
      this.#startQueued();
      // A smaller queue: the newest beyond it are dropped, counted as `queue-full`.
      this.#trimQueue();
    }
    return { ok: true, settings: this.settings };
  }

  /** Called for every request before it enters the pool: returns it as is, or with a teeing responder. */
  observe(request: PoolRequest): PoolRequest {
    const { mode, sampleRate, replayUnsafeMethods } = this.#settings;
    if (this.#closed || mode === 'off') return request;
    if (mode === 'sample' && Math.random() >= sampleRate) return request;
    // Not replayed, but counted as skipped only if a reused instance answers it (the count is of
    // reused answers): watched without a copy of its body or answer (a 0-byte capture keeps none).
    const replayable = replayUnsafeMethods || isSafeMethod(request.init.method);
    // The pool hands the body to an instance thread: keep a copy of our own for the replay.
    const init = replayable ? { ...request.init, body: request.init.body.slice() } : null;
    this.#watched.set(request.id, { init, instanceId: null, reuseIndex: 0, outgoing: { calls: [], total: 0 } });
    const responder = captureResponder(request.responder, replayable ? MAX_COMPARED_BODY_BYTES : 0, (outcome) =>
      this.#settled(request.id, outcome),
    );
    return { ...request, responder };
  }

  /** Resolves once no replay is running or queued (the CLI waits on it between sequential requests). */
  idle(): Promise<void> {
    if (this.#pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops sampling, drops queued replays (counted as `stopped`), waits for running ones and closes the fresh instances' pool. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    this.#watched.clear();
    this.#dropQueued();
    await this.idle();
    this.#reportSkips();
    await this.#fresh.close();
  }

  #onEvent(event: PoolEvent): void {
    if (event.type === 'request.outgoing') {
      const watched = event.requestId === null ? undefined : this.#watched.get(event.requestId);
      if (watched) addCall(watched.outgoing, callOf(event));
      return;
    }
    if (event.type !== 'request.accepted') return;
    const watched = this.#watched.get(event.requestId);
    if (!watched) return;
    watched.instanceId = event.instanceId;
    watched.reuseIndex = event.reuseCount;
  }

  #settled(requestId: number, outcome: CapturedOutcome): void {
    const watched = this.#watched.get(requestId);
    this.#watched.delete(requestId);
    // Only a reused instance's answer can carry an earlier request's state.
    if (!watched || watched.instanceId === null || watched.reuseIndex < 2 || this.#closed) return;
    const init = watched.init;
    if (init === null) return this.#skip('unsafe-method');
    if (outcome.kind === 'too-large') return this.#skip('body-too-large');
    // A reused instance that failed is replayed too: a fresh one answering is the plainest leak.
    if (outcome.kind === 'failed' && NOT_THE_GUESTS_DOING.has(outcome.failure)) return this.#skip('not-answered');
    const bytes = init.body.byteLength + (outcome.kind === 'answered' ? outcome.answer.body.byteLength : 0);
    if (!this.#hasRoom(bytes)) return this.#skip('queue-full');
    this.#queue.push({
      requestId,
      instanceId: watched.instanceId,
      watched: { ...watched, init },
      reused: outcome,
      bytes,
    });
    this.#queuedBytes += bytes;
    this.#startQueued();
  }

  /** Forgets the queued replays, counted as `stopped`. */
  #dropQueued(): void {
    this.#cancelRefill();
    const dropped = this.#queue.splice(0).length;
    this.#queuedBytes = 0;
    if (dropped === 0) return;
    this.#skip('stopped', dropped);
    if (this.#pending() === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #cancelRefill(): void {
    clearTimeout(this.#refillTimer);
    this.#refillTimer = undefined;
  }

  /** Drops the newest queued replays beyond `maxQueuedReplays`, counted as `queue-full`. */
  #trimQueue(): void {
    const over = this.#queue.splice(this.#settings.maxQueuedReplays);
    if (over.length === 0) return;
    for (const dropped of over) this.#queuedBytes -= dropped.bytes;
    this.#skip('queue-full', over.length);
  }

  /** Replays queued or running. */
  #pending(): number {
    return this.#replaying + this.#queue.length;
  }

  /** A replay that may start now (a free slot and a token), or room in the queue for an answer holding `bytes`. */
  #hasRoom(bytes: number): boolean {
    const startsNow =
      this.#replaying + this.#queue.length < this.#settings.maxConcurrentReplays && this.#tokensNow() >= 1;
    if (startsNow) return true;
    return this.#queue.length < this.#settings.maxQueuedReplays && this.#queuedBytes + bytes <= MAX_QUEUED_REPLAY_BYTES;
  }

  /**
   * Starts queued replays, oldest first, while slots are free and the rate allows; when only the
   * rate holds them back, comes back when the budget has refilled for the next.
   */
  #startQueued(): void {
    while (this.#replaying < this.#settings.maxConcurrentReplays && this.#queue.length > 0) {
      if (!this.#takeReplayToken()) {
        if (this.#refillTimer) return;
        const waitMs = ((1 - this.#replayTokens) / this.#settings.maxReplaysPerSecond) * 1000;
        this.#refillTimer = setTimeout(() => {
          this.#refillTimer = undefined;
          this.#startQueued();
        }, Math.ceil(waitMs));
        return;
      }
      const next = this.#queue.shift();
      if (!next) return;
      this.#queuedBytes -= next.bytes;
      void this.#replay(next);
    }
  }

  async #replay({ requestId, instanceId, watched, reused }: QueuedReplay): Promise<void> {
    this.#replaying++;
    const started = this.#bus.now();
    const ignoredHeaders = this.#settings.ignoredHeaders;
    try {
      // A replay that cannot even start is a failed check, never an unhandled rejection.
      const freshOutgoing: OutgoingCalls = { calls: [], total: 0 };
      const fresh = await this.#fresh
        .answer(watched.init, this.#requestTimeoutMs(), MAX_COMPARED_BODY_BYTES, (call) => addCall(freshOutgoing, call))
        .then(
          (outcome) => ({ outcome, error: null }),
          (error: unknown) => ({ outcome: null, error: error instanceof Error ? error.message : String(error) }),
        );
      const base = {
        type: 'leak.checked' as const,
        requestId,
        instanceId,
        reuseIndex: watched.reuseIndex,
        method: watched.init.method,
        uri: watched.init.pathWithQuery,
        requestHeaders: watched.init.headers.map(([name, value]): [string, string] => [
          name,
          Buffer.from(value).toString('latin1'),
        ]),
        requestBodyBytes: watched.init.body.byteLength,
        replayMs: this.#bus.now() - started,
        ...outgoingOf(watched.outgoing, freshOutgoing),
        // This one is done once emitted.
        pending: this.#pending() - 1,
      };
      const judgement = fresh.outcome
        ? judgeReplay(reused, fresh.outcome, ignoredHeaders, MAX_COMPARED_BODY_BYTES)
        : { verdict: 'error' as const, differences: [], message: `the replay could not run: ${fresh.error}` };
      this.#bus.emit({ ...base, ...judgement });
    } finally {
      this.#replaying--;
      this.#startQueued();
      if (this.#pending() === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /** The token bucket refilled up to now: replays that may start now (fractional). */
  #tokensNow(): number {
    const perSecond = this.#settings.maxReplaysPerSecond;
    const now = performance.now();
    this.#replayTokens = Math.min(
      bucketSize(perSecond),
      this.#replayTokens + ((now - this.#tokensAt) / 1000) * perSecond,
    );
    this.#tokensAt = now;
    return this.#replayTokens;
  }

  #takeReplayToken(): boolean {
    if (this.#tokensNow() < 1) return false;
    this.#replayTokens--;
    return true;
  }

  #skip(reason: LeakSkipReason, n = 1): void {
    this.#skips[reason] = (this.#skips[reason] ?? 0) + n;
    this.#skipTimer ??= setTimeout(() => this.#reportSkips(), SKIP_REPORT_INTERVAL_MS).unref();
  }

  #reportSkips(): void {
    clearTimeout(this.#skipTimer);
    this.#skipTimer = undefined;
    if (Object.keys(this.#skips).length === 0) return;
    const counts = this.#skips;
    this.#skips = {};
    this.#bus.emit({ type: 'leak.skipped', counts, pending: this.#pending() });
  }
}

/** `leak.checked`'s `outgoing`, when either side made an outgoing request. */
function outgoingOf(reused: OutgoingCalls, fresh: OutgoingCalls): Pick<LeakChecked, 'outgoing'> {
  if (reused.total === 0 && fresh.total === 0) return {};
  return { outgoing: { reused: reused.calls, fresh: fresh.calls, reusedTotal: reused.total, freshTotal: fresh.total } };
}

/** Bursts up to a second's worth of replays, and at least one (a rate below 1/s must still replay). */
function bucketSize(perSecond: number): number {
  return Math.max(1, perSecond);
}
