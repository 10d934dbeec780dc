import { z } from 'zod';
import type { World } from './events.ts';
import { mergePatch } from './patch.ts';

/** Bodies are held in memory (the WASIp2 host reads them synchronously): never more than this each. */
export const MAX_REQUEST_BODY_CEILING = 1024 * 1024 * 1024;

/**
 * Default live-instance cap (wasmtime's pooling allocator defaults to 1000). Instances share a few
 * executor threads, so an instance costs its linear memory: 0.25 MiB for a WAT demo, ~6 MiB for a
 * componentize-js guest, up to `-W max-memory-size` (256 MiB) for a guest that grows. 64 bounds
 * that worst case at 16 GiB on a 24 GiB machine, with room for 64 x 16 concurrent WASIp3 requests.
 */
export const DEFAULT_MAX_INSTANCES = 64;
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;

const count = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(1, { error: `${name} must be at least 1 (0 would let no instance serve anything)` })
    .max(1_000_000, { error: `${name} must be at most 1000000` });

const durationMs = (name: string) =>
  z
    .number({ error: `${name} must be a duration in milliseconds` })
    .positive({ error: `${name} must be greater than zero` })
    .max(365 * 24 * 3600 * 1000, { error: `${name} must be less than a year` });

/**
 * The pool's policy knobs, with wasmtime `serve`'s meaning (spec §4.1).
 * Durations are milliseconds (fractions allowed: `100us` is 0.1).
 */
export const poolKnobsSchema = z.strictObject({
  /** Total requests one instance may accept before it drains (1 = no reuse). */
  maxInstanceReuseCount: count('max-instance-reuse-count'),
  /** Requests one instance may have in flight at once (always 1 for WASIp2). */
  maxInstanceConcurrentReuseCount: count('max-instance-concurrent-reuse-count'),
  /** How long an Idle instance is kept for reuse. */
  idleInstanceTimeoutMs: durationMs('idle-instance-timeout'),
  /** Per-request timeout; null means none (wasmtime's default). */
  requestTimeoutMs: durationMs('request timeout').nullable(),
  /** Requests the front door lets into the pool at once; the rest wait for a slot. */
  maxConcurrentRequests: count('max-concurrent-requests'),
  /**
   * Live instances at most (wasmtime's `-O pooling-total-component-instances`). At the cap no
   * instance is started: requests wait in the pool's queue for one to become available or exit.
   */
  maxInstances: count('max-instances').max(10_000, { error: 'max-instances must be at most 10000' }),
  /** A request body larger than this is refused with 413 before any instance sees it. */
  maxRequestBodyBytes: z
    .number({ error: 'max-request-body-size must be a number of bytes' })
    .int({ error: 'max-request-body-size must be a whole number of bytes' })
    .min(0, { error: 'max-request-body-size cannot be negative' })
    .max(MAX_REQUEST_BODY_CEILING, {
      error: `max-request-body-size must be at most ${MAX_REQUEST_BODY_CEILING} bytes (1 GiB)`,
    }),
});
export type PoolKnobs = z.infer<typeof poolKnobsSchema>;

/**
 * How long a draining worker that no client waits on any more may take to exit by itself (its
 * handlers returning, its post-return work ending, its executor confirming the disposal) before
 * it is killed (engine/pool/policy.ts, `drainDeadline`). Without it, a guest that never returns
 * after its client left held a drained instance until shutdown (issue 16). A deviation from
 * wasmtime, which waits forever when no request timeout is set: nobody can use such an instance,
 * and it counts against `maxInstances`. Here so the dashboard can say when a drain overstays it.
 */
export const DRAIN_GRACE_MS = 10_000;

/** A partial update, as the dashboard sends it. */
export const poolKnobsPatchSchema = poolKnobsSchema.partial();
export type PoolKnobsPatch = z.infer<typeof poolKnobsPatchSchema>;

export function defaultKnobs(world: World): PoolKnobs {
  return {
    maxInstanceReuseCount: world === 'wasip3' ? 128 : 1,
    maxInstanceConcurrentReuseCount: world === 'wasip3' ? 16 : 1,
    idleInstanceTimeoutMs: 1000,
    requestTimeoutMs: null,
    maxConcurrentRequests: 1000,
    maxInstances: DEFAULT_MAX_INSTANCES,
    maxRequestBodyBytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
  };
}

/** Clamp what a world cannot do: a WASIp2 export cannot be re-entered, so its concurrency is 1. */
export function effectiveKnobs(world: World, knobs: PoolKnobs): PoolKnobs {
  return world === 'wasip2' ? { ...knobs, maxInstanceConcurrentReuseCount: 1 } : knobs;
}

/** Validates a patch and returns the merged knobs, or a message naming every bad field. */
export function applyKnobsPatch(
  current: PoolKnobs,
  patch: unknown,
): { ok: true; knobs: PoolKnobs } | { ok: false; error: string } {
  const result = mergePatch(poolKnobsPatchSchema, current, patch);
  return result.ok ? { ok: true, knobs: result.value } : result;
}
