/**
 * What a load run's `errors` and non-2xx responses were, kind by kind, from its `load-progress`
 * (pure). The load generator counts as errors only requests that got no response at all: client
 * timeouts and connection errors. Non-2xx responses are responses, so they are listed apart, by
 * status. Progress from recordings made before the breakdown existed has only the total: that
 * becomes one `unclassified` row rather than a guess.
 */
import type { LoadProgress } from '../../../protocol/index.ts';

export type LoadErrorRow =
  /** The client gave up after `timeoutMs` (null when the recording does not say). */
  | { kind: 'timeout'; count: number; timeoutMs: number | null }
  /** Refused, reset, …: `code` as Node names it (`ECONNRESET`), or `other`. */
  | { kind: 'connection'; code: string; count: number }
  /** Errors the progress does not break down (older recordings, or counts still catching up). */
  | { kind: 'unclassified'; count: number }
  /** Responses with a status outside 200–299. */
  | { kind: 'status'; status: number; count: number };

export interface LoadBreakdown {
  /** Requests without a response. */
  errors: number;
  /** Responses outside 200–299. */
  non2xx: number;
  /** Timeouts, then connection errors (most first), then anything unclassified, then statuses in order. */
  rows: LoadErrorRow[];
}

/** What Node's error codes mean, in a word; others are shown as they are. */
const CONNECTION_LABEL: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  HPE_INVALID_CONSTANT: 'malformed response',
};

export function connectionLabel(code: string): string {
  return CONNECTION_LABEL[code] ?? code;
}

const whole = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

export function loadBreakdown(p: LoadProgress): LoadBreakdown {
  const rows: LoadErrorRow[] = [];
  const errors = whole(p.errors);
  const b = p.errorBreakdown;
  let classified = 0;
  if (b) {
    const timeouts = whole(b.timeouts);
    if (timeouts > 0) rows.push({ kind: 'timeout', count: timeouts, timeoutMs: p.timeoutMs ?? null });
    classified += timeouts;
    const connection = Object.entries(b.connection)
      .map(([code, n]) => ({ kind: 'connection' as const, code, count: whole(n) }))
      .filter((r) => r.count > 0)
      .sort((x, y) => y.count - x.count || x.code.localeCompare(y.code));
    for (const r of connection) {
      rows.push(r);
      classified += r.count;
    }
  }
  if (errors > classified) rows.push({ kind: 'unclassified', count: errors - classified });
  let non2xx = 0;
  const statuses: Array<{ kind: 'status'; status: number; count: number }> = [];
  for (const [key, n] of Object.entries(p.statusCounts)) {
    // Keys are status codes as text; anything else is not a status and is left out.
    if (!/^\d{3}$/.test(key)) continue;
    const status = Number(key);
    const count = whole(n);
    if (count === 0 || (status >= 200 && status <= 299)) continue;
    statuses.push({ kind: 'status', status, count });
    non2xx += count;
  }
  statuses.sort((x, y) => x.status - y.status);
  rows.push(...statuses);
  return { errors, non2xx, rows };
}
