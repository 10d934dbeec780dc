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
