import type { EventBus } from '../events/event-bus.ts';
import type { ExitCause, PoolKnobs, World } from '../../protocol/index.ts';
import type { PoolClock } from './clock.ts';
import type { InstanceHost } from './instance-host.ts';
import type { PoolWorker } from './pool-worker.ts';
import type { PoolRequest } from './request.ts';

/** What a worker needs from its pool: the shared queue, policy, instance host, clock and event bus. */
export interface WorkerContext {
  readonly world: World;
  readonly knobs: PoolKnobs;
  readonly bus: EventBus;
  readonly instances: InstanceHost;
  readonly clock: PoolClock;
  /** Environment every instance gets (INSTANCE_ID is added per instance). */
  readonly env: ReadonlyArray<[string, string]>;
  takeQueued(): PoolRequest | undefined;
  takeAllQueued(): PoolRequest[];
  availabilityChanged(worker: PoolWorker, available: boolean): void;
  workerExited(worker: PoolWorker, cause: ExitCause): void;
  gaugesChanged(): void;
}
