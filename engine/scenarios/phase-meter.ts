import type { EventBus } from '../events/event-bus.ts';
import { LatencyHistogram } from '../loadgen/index.ts';
import { isLeakFinding, type FailureKind, type PoolEvent, type ScenarioPhaseResult } from '../../protocol/index.ts';

/**
 * Measures one scenario phase from the event stream alone (whatever drives the traffic): requests,
 * failures by kind, latency, instances started, live instances over time, how instances ended,
 * and leak verdicts.
 */
export class PhaseMeter {
  readonly #bus: EventBus;
  readonly #label: string;
  readonly #startedAt: number;
  readonly #latency = new LatencyHistogram();
  readonly #failedByKind: Partial<Record<FailureKind, number>> = {};
  readonly #unsubscribe: () => void;
  /** Requests received during the phase and not yet answered or failed. */
  readonly #outstanding = new Set<number>();
  /** Instances draining (finishing their work before they retire). */
  readonly #draining = new Set<number>();
  #completed = 0;
  #abandoned = 0;
  /** Engine time of the phase's first request and of the last one finished, for its rate. */
  #firstReceivedAt: number | null = null;
  #lastFinishedAt: number | null = null;
  #instancesStarted = 0;
  #drained = 0;
  #watchdogKills = 0;
  #traps = 0;
  #leakChecks = 0;
  #leaks = 0;
  /** Live instances now, its peak, and its integral over time (instance·ms). */
  #live: number;
  #peakLive: number;
  #liveSince: number;
  #liveArea = 0;

  constructor(bus: EventBus, label: string, liveInstancesNow: number) {
    this.#bus = bus;
    this.#label = label;
    this.#startedAt = bus.now();
    this.#live = liveInstancesNow;
    this.#peakLive = liveInstancesNow;
    this.#liveSince = this.#startedAt;
    this.#unsubscribe = bus.subscribe((event) => this.#apply(event));
  }

  /** Requests the phase sent that the pool has not finished with yet. */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  /** Instances that are draining: the phase is not over until they have retired. */
  get draining(): number {
    return this.#draining.size;
  }

  finish(): ScenarioPhaseResult {
    this.#unsubscribe();
    const end = this.#bus.now();
    this.#liveArea += this.#live * (end - this.#liveSince);
    const durationMs = end - this.#startedAt;
    const failed = Object.values(this.#failedByKind).reduce((sum, n) => sum + n, 0);
    const requests = this.#completed + failed;
    const stats = this.#latency.stats();
    return {
      label: this.#label,
      requests,
      failed,
      abandoned: this.#abandoned,
      failedByKind: { ...this.#failedByKind },
      requestsPerSecond: rate(requests, this.#firstReceivedAt, this.#lastFinishedAt),
      latencyP50Ms: stats?.p50 ?? null,
      latencyP99Ms: stats?.p99 ?? null,
      instancesStarted: this.#instancesStarted,
      averageLiveInstances: durationMs > 0 ? this.#liveArea / durationMs : this.#live,
      peakLiveInstances: this.#peakLive,
      drained: this.#drained,
      watchdogKills: this.#watchdogKills,
      traps: this.#traps,
      timeouts: this.#failedByKind.timeout ?? 0,
      leakChecks: this.#leakChecks,
      leaks: this.#leaks,
      durationMs,
    };
  }

  #apply(event: PoolEvent): void {
    switch (event.type) {
      case 'request.received':
        this.#outstanding.add(event.requestId);
        this.#firstReceivedAt ??= event.t;
        break;
      case 'request.completed':
        if (!this.#outstanding.delete(event.requestId)) break; // sent before the phase began
        this.#completed++;
        this.#lastFinishedAt = event.t;
        this.#latency.record(event.durationMs);
        break;
      case 'request.failed':
        if (!this.#outstanding.delete(event.requestId)) break;
        if (event.kind === 'client-gone') {
          this.#abandoned++;
          break;
        }
        this.#lastFinishedAt = event.t;
        this.#failedByKind[event.kind] = (this.#failedByKind[event.kind] ?? 0) + 1;
        break;
      case 'worker.spawned':
        this.#instancesStarted++;
        break;
      case 'worker.draining':
        this.#draining.add(event.instanceId);
        break;
      case 'worker.exit':
        this.#draining.delete(event.instanceId);
        if (event.cause === 'drained' || event.cause === 'idle-timeout') this.#drained++;
        else if (event.cause === 'watchdog') this.#watchdogKills++;
        else if (event.cause === 'trap') this.#traps++;
        break;
      case 'pool.gauges':
        this.#liveArea += this.#live * (event.t - this.#liveSince);
        this.#live = event.liveInstances;
        this.#liveSince = event.t;
        this.#peakLive = Math.max(this.#peakLive, event.liveInstances);
        break;
      case 'leak.checked':
        if (event.verdict !== 'error') this.#leakChecks++;
        if (isLeakFinding(event.verdict)) this.#leaks++;
        break;
      default:
        break;
    }
  }
}

/** Requests per second between the first request's arrival and the last one's end. */
function rate(requests: number, from: number | null, to: number | null): number {
  return from !== null && to !== null && to > from ? (requests * 1000) / (to - from) : 0;
}
