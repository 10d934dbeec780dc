import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { FromInstance } from '../thread/messages.ts';
import type { ResponseFlowBuffers } from '../thread/response-flow.ts';

/** Who hears what one hosted instance says, and that it was lost with whatever ran it. */
export interface InstanceOwner {
  onMessage(message: FromInstance): void;
  /** The executor died (crashed, or was terminated to stop another instance): the instance is gone. */
  onLost(message: string): void;
}

/**
 * Where a pool worker's instance runs. In production that is an executor thread
 * (`ExecutorPool`, executor-pool.ts); a unit test of the pool's state machine puts a fake here
 * and plays the instance's messages itself. Everything it says goes to the `InstanceOwner`.
 */
export interface InstanceHost {
  /** Starts instantiating an instance with `env`; it answers `instantiated` or `instantiate-failed`. */
  place(owner: InstanceOwner, env: Array<[string, string]>): HostedInstance;
}

/** One instance on its host: how its pool worker talks to it. */
export interface HostedInstance {
  /** The executor it runs on (reported in `worker.spawned`). */
  readonly executorId: number;
  /** Runs the guest's handler for one request; the response comes back as messages. */
  request(requestId: number, init: IncomingRequestInit, flow: ResponseFlowBuffers | undefined): void;
  /** A clean exit: the host drops the instance and answers `disposed`. */
  dispose(): void;
  /** Stops the instance whatever it is doing; `graceMs` before the host looks closer. */
  kill(graceMs: number): void;
  /** True while the instance's executor is held by a guest that does not yield: work handed to it would wait. */
  stalled(): boolean;
}
