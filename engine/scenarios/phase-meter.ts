import type { EventBus } from '../events/event-bus.ts';
import { LatencyHistogram } from '../loadgen/index.ts';
import { isLeakFinding, type FailureKind, type PoolEvent, type ScenarioPhaseResult } from '../../protocol/index.ts';

/**
 * Measures one scenario phase from the event stream alone (whatever drives the traffic): requests,
 * failures by kind, latency, instances started, live instances over time, how instances ended,
 * and leak verdicts.
 *
 * How instances ended counts only the phase's own instances: those started during it or that
 * accepted one of its requests. An instance of an earlier phase retiring now (a knob change drains
 * it) did none of this phase's work; counting it made `drained 5` sit beside `instances started 4`.
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
  /** Instances that started during the phase or accepted one of its requests. */
  readonly #ours = new Set<number>();
  /** False when the phase's pace is not the pool's (see `requestsPerSecond`): no rate is reported. */
  readonly #rated: boolean;
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

  constructor(bus: EventBus, label: string, liveInstancesNow: number, options: { rate?: boolean } = {}) {
    this.#bus = bus;
    this.#label = label;
    this.#rated = options.rate ?? true;
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
      requestsPerSecond: this.#rated ? rate(requests, this.#firstReceivedAt, this.#lastFinishedAt) : null,
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
      case 'request.accepted':
        if (this.#outstanding.has(event.requestId)) this.#ours.add(event.instanceId);
        break;
      case 'worker.spawned':
        this.#instancesStarted++;
        this.#ours.add(event.instanceId);
        break;
      case 'worker.draining':
        this.#draining.add(event.instanceId);
        break;
      case 'worker.exit':
        this.#draining.delete(event.instanceId);
        if (!this.#ours.delete(event.instanceId)) break;
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
