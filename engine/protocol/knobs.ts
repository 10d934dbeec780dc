import { z } from 'zod';
import type { World } from './events.ts';
import { mergePatch } from './patch.ts';

/**
 * The pool's policy knobs, with wasmtime `serve`'s meaning (spec §4.1).
 * Durations are milliseconds (fractions allowed: `100us` is 0.1).
 */
export interface PoolKnobs {
  /** Total requests one instance may accept before it drains (1 = no reuse). */
  maxInstanceReuseCount: number;
  /** Requests one instance may have in flight at once (always 1 for WASIp2). */
  maxInstanceConcurrentReuseCount: number;
  /** How long an Idle instance is kept for reuse. */
  idleInstanceTimeoutMs: number;
  /** Per-request timeout; null means none (wasmtime's default). */
  requestTimeoutMs: number | null;
  /** Requests the front door lets into the pool at once; the rest wait for a slot. */
  maxConcurrentRequests: number;
}

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

export const poolKnobsSchema = z.strictObject({
  maxInstanceReuseCount: count('max-instance-reuse-count'),
  maxInstanceConcurrentReuseCount: count('max-instance-concurrent-reuse-count'),
  idleInstanceTimeoutMs: durationMs('idle-instance-timeout'),
  requestTimeoutMs: durationMs('request timeout').nullable(),
  maxConcurrentRequests: count('max-concurrent-requests'),
});

/** A partial update, as the dashboard sends it. */
export const poolKnobsPatchSchema = poolKnobsSchema.partial();
export type PoolKnobsPatch = z.infer<typeof poolKnobsPatchSchema>;

/** Knobs whose new value reaches only instances created after the change. */
export const KNOBS_FOR_NEW_INSTANCES_ONLY: ReadonlyArray<keyof PoolKnobs> = [];

export function defaultKnobs(world: World): PoolKnobs {
  return {
    maxInstanceReuseCount: world === 'wasip3' ? 128 : 1,
    maxInstanceConcurrentReuseCount: world === 'wasip3' ? 16 : 1,
    idleInstanceTimeoutMs: 1000,
    requestTimeoutMs: null,
    maxConcurrentRequests: 1000,
  };
}

/** Clamp what a world cannot do: a WASIp2 export cannot be re-entered, so its concurrency is 1. */
export function effectiveKnobs(world: World, knobs: PoolKnobs): PoolKnobs {
  return world === 'wasip2' ? { ...knobs, maxInstanceConcurrentReuseCount: 1 } : knobs;
}

/** Validates a patch and returns the merged knobs, or a message naming every bad field. */
export function applyKnobsPatch(current: PoolKnobs, patch: unknown): { ok: true; knobs: PoolKnobs } | { ok: false; error: string } {
  const result = mergePatch(poolKnobsPatchSchema, current, patch);
  return result.ok ? { ok: true, knobs: result.value } : result;
}
