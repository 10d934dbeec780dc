import { z } from 'zod';
import type { LeakVerdict } from './events.ts';
import { mergePatch } from './patch.ts';

/**
 * Leak detection in the running pool: answers from reused instances are replayed on fresh
 * instances outside the pool and compared. `sample` replays a random fraction of them, `all`
 * every one; replays are bounded in concurrency, queue and rate so they cannot starve real traffic.
 */
export const leakDetectionModeSchema = z.enum(['off', 'sample', 'all'], {
  error: "leak detection mode must be 'off', 'sample' or 'all'",
});
export type LeakDetectionMode = z.infer<typeof leakDetectionModeSchema>;

/** Headers that differ between two honest answers (dates, ids). */
export const DEFAULT_IGNORED_HEADERS = [
  'date',
  'x-request-id',
  'x-trace-id',
  'traceparent',
  'etag',
  'last-modified',
  'set-cookie',
];

/** `maxQueuedReplays` may not exceed this (each queued replay holds its request and answer bodies). */
export const MAX_QUEUED_REPLAYS_LIMIT = 1000;

/**
 * Bytes of request bodies and reused answers (each answer up to 1 MiB) the replay queue holds at
 * most, whatever `maxQueuedReplays` says: an answer that would go past it is skipped (`queue-full`).
 */
export const MAX_QUEUED_REPLAY_BYTES = 32 * 1024 * 1024;

export const leakDetectionSchema = z.strictObject({
  mode: leakDetectionModeSchema,
  /** Fraction of reused answers replayed in `sample` mode, in (0, 1]. */
  sampleRate: z
    .number({ error: 'sample rate must be a number' })
    .gt(0, { error: 'sample rate must be greater than 0 (use mode off to replay nothing)' })
    .max(1, { error: 'sample rate must be at most 1 (1 replays every reused answer)' }),
  /** Replay methods with side effects (anything but GET, HEAD, OPTIONS) too. */
  replayUnsafeMethods: z.boolean({ error: 'replayUnsafeMethods must be true or false' }),
  /** Headers that differ by nature (dates, ids), left out of comparisons. Lower case. */
  ignoredHeaders: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[!#$%&'*+.^_`|~0-9a-z-]+$/, { error: 'ignored headers must be header names' }),
    )
    .max(100, { error: 'at most 100 ignored headers' }),
  /** Replays in flight at once; a sampled answer that finds them all busy waits in the replay queue. */
  maxConcurrentReplays: z
    .number({ error: 'max concurrent replays must be a number' })
    .int({ error: 'max concurrent replays must be a whole number' })
    .min(1, { error: 'max concurrent replays must be at least 1' })
    .max(16, { error: 'max concurrent replays must be at most 16' }),
  /**
   * Reused answers waiting for a replay slot, at most (and `MAX_QUEUED_REPLAY_BYTES` of their
   * bodies): sequential traffic is checked in full, a burst beyond the queue is skipped
   * (`queue-full`). 0 queues nothing: an answer that finds every slot busy is skipped.
   */
  maxQueuedReplays: z
    .number({ error: 'max queued replays must be a number' })
    .int({ error: 'max queued replays must be a whole number' })
    .min(0, { error: 'max queued replays must be at least 0' })
    .max(MAX_QUEUED_REPLAYS_LIMIT, { error: `max queued replays must be at most ${MAX_QUEUED_REPLAYS_LIMIT}` }),
  /**
   * Replays started per second at most (bursts up to a second's worth): each one instantiates a
   * fresh instance, which costs CPU the served traffic shares. Beyond it answers are skipped.
   */
  maxReplaysPerSecond: z
    .number({ error: 'max replays per second must be a number' })
    .positive({ error: 'max replays per second must be greater than 0 (use mode off to replay nothing)' })
    .max(10_000, { error: 'max replays per second must be at most 10000' }),
});

export type LeakDetectionSettings = z.infer<typeof leakDetectionSchema>;

export const DEFAULT_LEAK_DETECTION: LeakDetectionSettings = {
  mode: 'off',
  sampleRate: 0.1,
  replayUnsafeMethods: false,
  ignoredHeaders: DEFAULT_IGNORED_HEADERS,
  maxConcurrentReplays: 1,
  maxQueuedReplays: 64,
  maxReplaysPerSecond: 10,
};

export const leakDetectionPatchSchema = leakDetectionSchema.partial();
export type LeakDetectionPatch = z.infer<typeof leakDetectionPatchSchema>;

/** Validates a patch and returns the merged settings, or a message naming every bad field. */
export function applyLeakDetectionPatch(
  current: LeakDetectionSettings,
  patch: unknown,
): { ok: true; settings: LeakDetectionSettings } | { ok: false; error: string } {
  const result = mergePatch(leakDetectionPatchSchema, current, patch);
  return result.ok ? { ok: true, settings: result.value } : result;
}

/** Methods without side effects: their requests are replayed unless told otherwise. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Verdicts that are findings: state a reused instance kept changed its answer (or broke it). */
export function isLeakFinding(verdict: LeakVerdict): boolean {
  return verdict === 'leak' || verdict === 'failed-on-reuse';
}
