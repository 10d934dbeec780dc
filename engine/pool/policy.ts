import { DRAIN_GRACE_MS, type InstanceStatus, type PoolKnobs } from '../../protocol/index.ts';

// Defined in the protocol: the dashboard flags an instance draining past it as held too long.
export { DRAIN_GRACE_MS };

/** wasmtime's `ShouldAcceptRequest`: `no` means "not now, ask again", `never` is permanent. */
export type ShouldAccept = 'yes' | 'no' | 'never';

/** `wasmtime serve`'s WorkerState::should_accept_request (spec §2.5). */
export function shouldAcceptRequest(knobs: PoolKnobs, concurrent: number, total: number): ShouldAccept {
  if (total >= knobs.maxInstanceReuseCount) return 'never';
  if (concurrent >= knobs.maxInstanceConcurrentReuseCount) return 'no';
  return 'yes';
}

/**
 * `wasmtime serve`'s WorkerExpiration: when must a worker in `status` since `since` die?
 * Idle uses the idle timeout; Requests and PostReturn use the request timeout (wasmtime has a TODO
 * for a separate post-return timeout). Null: never.
 */
export function expirationDeadline(knobs: PoolKnobs, status: InstanceStatus, since: number): number | null {
  if (status === 'Idle') return since + knobs.idleInstanceTimeoutMs;
  return knobs.requestTimeoutMs === null ? null : since + knobs.requestTimeoutMs;
}

/** The drain deadline of a worker drained (and answered every client) at `since`: a request
 * timeout past the point where the watchdog would have acted, plus the grace. */
export function drainDeadline(knobs: PoolKnobs, since: number): number {
  return since + (knobs.requestTimeoutMs ?? 0) + DRAIN_GRACE_MS;
}
