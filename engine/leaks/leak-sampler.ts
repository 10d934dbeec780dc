import type { EventBus } from '../events/event-bus.ts';
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { PoolRequest } from '../pool/request.ts';
import {
  applyLeakDetectionPatch,
  callOf,
  isSafeMethod,
  MAX_LEAK_OUTGOING_CALLS,
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
  /** The request as it entered the pool (its body copied), to replay as it was. */
  init: IncomingRequestInit;
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

function addCall(into: OutgoingCalls, call: OutgoingCall): void {
  into.total++;
  if (into.calls.length < MAX_LEAK_OUTGOING_CALLS) into.calls.push(call);
}

/**
 * The leak detector inside a running pool. It tees the answers of sampled requests; when one came
 * from a reused instance (its 2nd…Nth request), it replays the same request on a fresh instance
 * and reports a `leak.checked` event with the differences. Replays run outside the pool and are
 * bounded: one that finds every replay slot busy is skipped (and counted), never queued.
 */
export class LeakSampler {
  readonly #bus: EventBus;
  readonly #fresh: FreshInstances;
  readonly #requestTimeoutMs: () => number | null;
  readonly #watched = new Map<number, Watched>();
  readonly #unsubscribe: () => void;
  #settings: LeakDetectionSettings;
  #replaying = 0;
  #idleWaiters: Array<() => void> = [];
  #skips: Partial<Record<LeakSkipReason, number>> = {};
  #skipTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Token bucket for `maxReplaysPerSecond`: replays that may start now, refilled with time. */
  #replayTokens = 0;
  #tokensAt = performance.now();

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
    if (result.ok) this.#settings = result.settings;
    return result.ok ? { ok: true, settings: this.settings } : result;
  }

  /** Called for every request before it enters the pool: returns it as is, or with a teeing responder. */
  observe(request: PoolRequest): PoolRequest {
    const { mode, sampleRate, replayUnsafeMethods } = this.#settings;
    if (this.#closed || mode === 'off') return request;
    if (mode === 'sample' && Math.random() >= sampleRate) return request;
    if (!replayUnsafeMethods && !isSafeMethod(request.init.method)) {
      this.#skip('unsafe-method');
      return request;
    }
    // The pool hands the body to an instance thread: keep a copy of our own for the replay.
    const init = { ...request.init, body: request.init.body.slice() };
    this.#watched.set(request.id, { init, instanceId: null, reuseIndex: 0, outgoing: { calls: [], total: 0 } });
    const responder = captureResponder(request.responder, MAX_COMPARED_BODY_BYTES, (outcome) =>
      this.#settled(request.id, outcome),
    );
    return { ...request, responder };
  }

  /** Resolves once no replay is running (the CLI waits on it between sequential requests). */
  idle(): Promise<void> {
    if (this.#replaying === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops sampling, waits for running replays and closes the fresh instances' pool. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    this.#watched.clear();
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
    if (outcome.kind === 'too-large') return this.#skip('body-too-large');
    // A reused instance that failed is replayed too: a fresh one answering is the plainest leak.
    if (outcome.kind === 'failed' && NOT_THE_GUESTS_DOING.has(outcome.failure)) return this.#skip('not-answered');
    if (this.#replaying >= this.#settings.maxConcurrentReplays) return this.#skip('replays-busy');
    if (!this.#takeReplayToken()) return this.#skip('rate-limited');
    void this.#replay(requestId, watched.instanceId, watched, outcome);
  }

  async #replay(requestId: number, instanceId: number, watched: Watched, reused: JudgedOutcome): Promise<void> {
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
      };
      const judgement = fresh.outcome
        ? judgeReplay(reused, fresh.outcome, ignoredHeaders, MAX_COMPARED_BODY_BYTES)
        : { verdict: 'error' as const, differences: [], message: `the replay could not run: ${fresh.error}` };
      this.#bus.emit({ ...base, ...judgement });
    } finally {
      this.#replaying--;
      if (this.#replaying === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  #takeReplayToken(): boolean {
    const perSecond = this.#settings.maxReplaysPerSecond;
    const now = performance.now();
    this.#replayTokens = Math.min(
      bucketSize(perSecond),
      this.#replayTokens + ((now - this.#tokensAt) / 1000) * perSecond,
    );
    this.#tokensAt = now;
    if (this.#replayTokens < 1) return false;
    this.#replayTokens--;
    return true;
  }

  #skip(reason: LeakSkipReason): void {
    this.#skips[reason] = (this.#skips[reason] ?? 0) + 1;
    this.#skipTimer ??= setTimeout(() => this.#reportSkips(), SKIP_REPORT_INTERVAL_MS).unref();
  }

  #reportSkips(): void {
    clearTimeout(this.#skipTimer);
    this.#skipTimer = undefined;
    if (Object.keys(this.#skips).length === 0) return;
    const counts = this.#skips;
    this.#skips = {};
    this.#bus.emit({ type: 'leak.skipped', counts });
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
