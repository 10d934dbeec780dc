import { z } from 'zod';
import type { LatencyStats } from './histogram.ts';

/**
 * The load generator's public types. A run is either a closed loop (C keep-alive clients, each
 * sending its next request as soon as the previous response arrives) or an open loop (a fixed
 * number of requests per second over at most C connections), and stops after a duration, a count
 * of requests, or whichever comes first when both are given.
 */

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const DEFAULT_CONNECTIONS = 50;
export const DEFAULT_DURATION_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;
/** Progress callbacks never come more often than this. */
export const MIN_PROGRESS_INTERVAL_MS = 50;

export interface LoadOptions {
  /** `http://HOST:PORT/path?query` (https works too). */
  url: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: string;
  /** Closed loop: concurrent keep-alive clients. Open loop: connections the rate is spread over. Default 50. */
  connections?: number;
  /** Stop after this long. Default 10 s when `count` is not given. */
  durationMs?: number;
  /** Stop after this many requests (a response or an error each). */
  count?: number;
  /** Open loop: requests per second over all connections (a whole number). */
  rate?: number;
  /** A request without a response after this long counts as a timeout and its connection is reopened. Default 10 s, at least 1 s. */
  timeoutMs?: number;
  /** How often `onProgress` is called (default 250 ms, at least 50 ms). */
  progressIntervalMs?: number;
  /** Stops the run early; `runLoad` then resolves with what was measured (`aborted: true`). */
  signal?: AbortSignal;
  /**
   * Where autocannon runs: on a worker thread of its own (default), so an engine serving in the
   * same process keeps its event loop; or on the calling thread.
   */
  thread?: 'worker' | 'current';
}

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be at least 1` })
    .max(max, { error: `${what} must be at most ${max}` });

/** Validates everything but the signal (not cloneable, checked by type). */
export const loadOptionsSchema = z.strictObject({
  url: z.string().refine(
    (text) => {
      try {
        const url = new URL(text);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: (issue) => `'${String(issue.input)}' is not an http:// or https:// URL` },
  ),
  method: z.enum(HTTP_METHODS, { error: `method must be one of ${HTTP_METHODS.join(', ')}` }).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  connections: positiveInt('connections', 10_000).optional(),
  durationMs: z
    .number()
    .positive({ error: 'duration must be more than 0' })
    .max(24 * 3600_000, { error: 'duration must be at most 24 hours' })
    .optional(),
  count: positiveInt('count', 1_000_000_000).optional(),
  rate: positiveInt('rate', 10_000_000).optional(),
  timeoutMs: z
    .number()
    .min(1000, { error: 'timeout must be at least 1s' })
    .max(3600_000, { error: 'timeout must be at most 1 hour' })
    .optional(),
  progressIntervalMs: z.number().positive().optional(),
  signal: z
    .custom<AbortSignal>((value) => value instanceof AbortSignal, { error: 'signal must be an AbortSignal' })
    .optional(),
  thread: z.enum(['worker', 'current']).optional(),
});

/** Options with every default filled in and the autocannon constraints applied. */
export interface ResolvedLoadOptions {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
  /** After clamping: never more than `count` or `rate` (autocannon needs at least one request per connection). */
  connections: number;
  durationMs: number | null;
  count: number | null;
  rate: number | null;
  /**
   * Requests the run sends at most: `count`, or for an open loop with a duration, rate × duration
   * (autocannon's rate works in one-second windows; a fixed total keeps a run from sending one
   * window too many as its duration ends).
   */
  planned: number | null;
  timeoutMs: number;
  progressIntervalMs: number;
}

export class InvalidLoadOptionsError extends Error {
  override name = 'InvalidLoadOptionsError';
}

export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  const parsed = loadOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidLoadOptionsError(parsed.error.issues.map((issue) => issue.message).join('; '));
  }
  const o = parsed.data;
  const count = o.count ?? null;
  const rate = o.rate ?? null;
  const durationMs = o.durationMs ?? (count === null ? DEFAULT_DURATION_MS : null);
  const planned =
    count ?? (rate !== null && durationMs !== null ? Math.max(1, Math.ceil((rate * durationMs) / 1000)) : null);
  let connections = o.connections ?? DEFAULT_CONNECTIONS;
  if (planned !== null) connections = Math.min(connections, planned);
  if (rate !== null) connections = Math.min(connections, rate);
  return {
    url: o.url,
    method: o.method ?? 'GET',
    headers: o.headers ?? {},
    body: o.body,
    connections,
    durationMs,
    count,
    rate,
    planned,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    progressIntervalMs: Math.max(MIN_PROGRESS_INTERVAL_MS, o.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS),
  };
}

export interface LoadErrors {
  /** Connection errors plus timeouts. */
  total: number;
  /** Refused, reset, … (each one costs the request in flight on that connection). */
  connection: number;
  timeouts: number;
  /** Connection errors by code (`ECONNREFUSED`, `ECONNRESET`, …). */
  byCode: Record<string, number>;
}

/** Live progress, sent at most every `progressIntervalMs`, and once more with `finished: true`. */
export interface LoadProgressUpdate {
  elapsedMs: number;
  /** Requests finished: a response (any status) or an error. */
  done: number;
  responses: number;
  /** Requests without a response: `timeouts` plus connection errors. */
  errors: number;
  timeouts: number;
  /** Connection errors by code (`ECONNREFUSED`, `ECONNRESET`, …, `other`), so far. */
  connectionByCode: Record<string, number>;
  /** The client's timeout per request (ms), for saying what a timeout means. */
  timeoutMs: number;
  /** Requests finished per second over the last second. */
  rate: number;
  statusCounts: Record<string, number>;
  /** Over the run so far. */
  latencyMs: LatencyStats | null;
  /** For a progress bar: what ends the run. */
  target: { durationMs: number | null; count: number | null };
  finished: boolean;
}

export interface LoadSummary {
  url: string;
  method: HttpMethod;
  mode: 'closed-loop' | 'open-loop';
  /** Connections actually used (after clamping to `count` / `rate`). */
  connections: number;
  /** Open loop: the requested requests/second. */
  targetRate: number | null;
  startedAt: string;
  elapsedMs: number;
  stoppedBy: 'duration' | 'count' | 'abort';
  aborted: boolean;
  /** Requests written to a connection. */
  sent: number;
  /** Responses received (any status). */
  responses: number;
  /**
   * Sent but neither answered nor failed: cut off by the end of the run (at most one per
   * connection), or lost when the server closed a keep-alive connection without answering.
   */
  unanswered: number;
  /** Responses per second over the whole run. */
  requestsPerSecond: number;
  /** Latency of responses, from writing the request to the end of the response. */
  latencyMs: LatencyStats | null;
  statusCounts: Record<string, number>;
  /** Responses with a status outside 200–299. */
  non2xx: number;
  errors: LoadErrors;
}
