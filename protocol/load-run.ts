import { z } from 'zod';

/** A `sendRequests` run of the load generator, as the dashboard sees it: progress, then a summary. */

const count = z.number().int().nonnegative();

export const latencySchema = z.object({
  p50: z.number().nonnegative(),
  p90: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
});

/**
 * How long the load generator's client waits for a response before it gives up on the request
 * (and reopens its connection). The load generator's own bounds (engine/loadgen/options.ts).
 */
export const LOAD_TIMEOUT_MIN_MS = 1000;
export const LOAD_TIMEOUT_MAX_MS = 3_600_000;
export const LOAD_TIMEOUT_DEFAULT_MS = 10_000;
export const loadClientTimeoutSchema = z
  .number({ error: 'timeout must be a number' })
  .min(LOAD_TIMEOUT_MIN_MS, { error: 'timeout must be at least 1 s' })
  .max(LOAD_TIMEOUT_MAX_MS, { error: 'timeout must be at most 1 hour' });

/**
 * The client's errors, by kind: the requests the load generator counts as `errors` never got a
 * response. Non-2xx responses are responses (see `statusCounts`), not errors.
 */
export const loadErrorBreakdownSchema = z.object({
  /** Requests the client gave up on after its timeout; the server sees each as its client leaving. */
  timeouts: count,
  /** Connection errors by code (`ECONNREFUSED`, `ECONNRESET`, … or `other`): the request on that connection was lost. */
  connection: z.record(z.string().max(64), count),
});
export type LoadErrorBreakdown = z.infer<typeof loadErrorBreakdownSchema>;

/** Pushed to every dashboard while a run goes (`load-progress` messages), the last one `finished`. */
export const loadProgressSchema = z.object({
  runId: count,
  done: count,
  /** Requests without a response: client timeouts plus connection errors. */
  errors: count,
  /** Requests per second over the last second. */
  rate: z.number().nonnegative(),
  finished: z.boolean(),
  statusCounts: z.record(z.string(), count),
  latencyMs: latencySchema.nullable(),
  /** `errors` by kind; absent in recordings made before it existed. */
  errorBreakdown: loadErrorBreakdownSchema.optional(),
  /** The client timeout the run used (ms); absent in older recordings. */
  timeoutMs: z.number().nonnegative().optional(),
});
export type LoadProgress = z.infer<typeof loadProgressSchema>;

/** The reply to `sendRequests`, once the run is over. */
export const loadRunSummarySchema = z.object({
  runId: count,
  /** Responses per second over the whole run. */
  requestsPerSecond: z.number().nonnegative(),
  statusCounts: z.record(z.string(), count),
  latencyMs: latencySchema.nullable(),
  /** Requests without a response, and by kind; absent from older engines. */
  errors: count.optional(),
  errorBreakdown: loadErrorBreakdownSchema.optional(),
});
export type LoadRunSummary = z.infer<typeof loadRunSummarySchema>;
