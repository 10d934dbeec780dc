/**
 * A set of requests the event log can be narrowed to, by outcome: those answered with a status,
 * or those that failed with a kind. The load panel links its breakdown here ("500 × 12" → the
 * requests answered 500; client timeouts → the requests whose client left). Pure.
 */
import type { FailureKind, PoolEvent } from '../../../protocol/index.ts';

export type RequestMatch = { kind: 'status'; status: number } | { kind: 'failure'; failure: FailureKind };

/**
 * The status the front door answers a failed request with when no head went out yet
 * (engine/server/http-server.ts, `fail`): 503 at shutdown, 500 otherwise. A client that left
 * got no answer; a refused request got 413 or 503 depending on why, which its event does not say.
 */
export function failureStatus(kind: FailureKind): number | null {
  switch (kind) {
    case 'client-gone':
    case 'refused':
      return null;
    case 'shutdown':
      return 503;
    case 'never-set':
    case 'guest-error':
    case 'timeout':
    case 'trap':
    case 'instantiation':
      return 500;
  }
}

/** The ids of the requests in `events` that match: by their response head, else by their failure. */
export function matchingRequestIds(events: readonly PoolEvent[], match: RequestMatch): Set<number> {
  const ids = new Set<number>();
  if (match.kind === 'failure') {
    for (const e of events) if (e.type === 'request.failed' && e.kind === match.failure) ids.add(e.requestId);
    return ids;
  }
  const headed = new Set<number>();
  for (const e of events) {
    if (e.type === 'request.responded') {
      headed.add(e.requestId);
      if (e.status === match.status) ids.add(e.requestId);
    }
  }
  for (const e of events) {
    if (e.type === 'request.failed' && !headed.has(e.requestId) && failureStatus(e.kind) === match.status) {
      ids.add(e.requestId);
    }
  }
  return ids;
}

export function describeMatch(match: RequestMatch): string {
  return match.kind === 'status' ? `requests answered ${match.status}` : `requests failed: ${match.failure}`;
}
