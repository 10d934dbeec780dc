/**
 * The engine's history of the pool being served, sent with the snapshot a dashboard gets when it
 * attaches, so a page opened (or reloaded) at any moment shows what one open from the start shows.
 * The engine keeps the most recent events in full, exactly as the bus emitted them; what it let go
 * of (the ring is bounded) is summed up in `before`, the state the dropped events left behind.
 */
import { z } from 'zod';
import { exitCauseSchema, failureKindSchema, gaugesSchema, poolEventSchema } from './events.ts';
import { instanceSnapshotSchema } from './instance-snapshot.ts';

const count = z.number().int().nonnegative();

/** Events the engine keeps at most (a few seconds of a pool under heavy load, hours of a quiet one). */
export const HISTORY_MAX_EVENTS = 50_000;
/**
 * And at most this many bytes of them, estimated as the size of their UTF-8 JSON text (see
 * `engine/bridge/history.ts`; never below it, the heap holds 2-3x). With `before` (its buckets of
 * sampled latencies alone may reach ~11 MB under sustained load) the snapshot carrying it can pass
 * web mode's 16 MiB of unread messages per dashboard: that bound does not count the snapshot a
 * page is sent as it attaches (`engine/web/bridge-socket.ts`), so a late page is not disconnected.
 */
export const HISTORY_MAX_BYTES = 8 * 1024 * 1024;
/** Instances retired before the kept events, remembered (newest first): the dashboard keeps 200 too. */
export const HISTORY_MAX_RETIRED = 200;
/** One-second chart buckets of the dropped events, kept for the dashboard's chart window (5 min). */
export const HISTORY_BUCKET_SECONDS = 300;
/** Latencies kept per bucket (a spread sample beyond), as the dashboard keeps them. */
export const HISTORY_LATENCIES_PER_BUCKET = 2000;

/** An instance that exited, as the engine last saw it, with how it exited. */
export const retiredInstanceSchema = instanceSnapshotSchema.extend({
  exit: z.object({
    cause: exitCauseSchema,
    message: z.string().nullable(),
    t: z.number().nonnegative(),
    served: count,
    lifetimeMs: z.number().nonnegative(),
  }),
});
export type RetiredInstance = z.infer<typeof retiredInstanceSchema>;

/** One engine second of requests and gauges (the dashboard's chart bucket). */
export const historyBucketSchema = z.object({
  sec: z.number().int(),
  completed: count,
  failed: count,
  latencies: z.array(z.number().nonnegative()).max(HISTORY_LATENCIES_PER_BUCKET),
  gaugesMax: gaugesSchema.nullable(),
  gaugesLast: gaugesSchema.nullable(),
});
export type HistoryBucket = z.infer<typeof historyBucketSchema>;

/** What the events the ring dropped left behind: the state just before the first kept event. */
export const historyBeforeSchema = z.object({
  /** Instances live then, as the shared fold had them (counts included). */
  live: z.array(instanceSnapshotSchema),
  /** Instances retired by then, newest first, at most `HISTORY_MAX_RETIRED`. */
  retired: z.array(retiredInstanceSchema).max(HISTORY_MAX_RETIRED),
  retiredTotal: count,
  /** Chart buckets of the dropped events, ascending, the last `HISTORY_BUCKET_SECONDS` seconds. */
  buckets: z.array(historyBucketSchema).max(HISTORY_BUCKET_SECONDS),
  /** Request counters over the dropped events. */
  requests: z.object({
    received: count,
    ok: count,
    failed: count,
    failedByKind: z.partialRecord(failureKindSchema, count),
  }),
});
export type HistoryBefore = z.infer<typeof historyBeforeSchema>;

export const historySchema = z.object({
  /** The kept events, oldest first, as the bus emitted them, since the current pool started. */
  events: z.array(poolEventSchema).max(HISTORY_MAX_EVENTS),
  /** Events of this pool the ring let go of (oldest first), for either bound. */
  dropped: count,
  /** The ring's bounds, for the dashboard to state them. */
  maxEvents: count,
  maxBytes: count,
  /** Null while nothing was dropped. */
  before: historyBeforeSchema.nullable(),
});
export type History = z.infer<typeof historySchema>;
