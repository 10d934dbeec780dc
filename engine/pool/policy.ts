import type { InstanceStatus, PoolKnobs } from '../../protocol/index.ts';

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

/**
 * How long a draining worker that no client waits on any more may take to exit by itself (its
 * handlers returning, its post-return work ending, its executor confirming the disposal) before
 * it is killed. Without it, a guest that never returns after its client left held a drained
 * instance until shutdown (issue 16). A deviation from wasmtime, which waits forever when no
 * request timeout is set: nobody can use such an instance, and it counts against `maxInstances`.
 */
export const DRAIN_GRACE_MS = 10_000;

/** The drain deadline of a worker drained (and answered every client) at `since`: a request
 * timeout past the point where the watchdog would have acted, plus the grace. */
export function drainDeadline(knobs: PoolKnobs, since: number): number {
  return since + (knobs.requestTimeoutMs ?? 0) + DRAIN_GRACE_MS;
}
