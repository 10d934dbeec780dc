import { z } from 'zod';

/** A `sendRequests` run of the load generator, as the dashboard sees it: progress, then a summary. */

const count = z.number().int().nonnegative();

export const latencySchema = z.object({
  p50: z.number().nonnegative(),
  p90: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
});

/** Pushed to every dashboard while a run goes (`load-progress` messages), the last one `finished`. */
export const loadProgressSchema = z.object({
  runId: count,
  done: count,
  errors: count,
  /** Requests per second over the last second. */
  rate: z.number().nonnegative(),
  finished: z.boolean(),
  statusCounts: z.record(z.string(), count),
  latencyMs: latencySchema.nullable(),
});
export type LoadProgress = z.infer<typeof loadProgressSchema>;

/** The reply to `sendRequests`, once the run is over. */
export const loadRunSummarySchema = z.object({
  runId: count,
  /** Responses per second over the whole run. */
  requestsPerSecond: z.number().nonnegative(),
  statusCounts: z.record(z.string(), count),
  latencyMs: latencySchema.nullable(),
});
export type LoadRunSummary = z.infer<typeof loadRunSummarySchema>;
