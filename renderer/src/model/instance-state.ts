/**
 * An instance's current state as a card shows it: which state, for how long, why it drains, and
 * whether it has held the state abnormally long (pure). The engine bounds every state but two
 * by its knobs; past those bounds (plus slack for timers on a busy machine) something is stuck.
 */
import { DRAIN_GRACE_MS, type DrainCause, type PoolKnobs } from '../../../protocol/index.ts';
import type { InstanceRecord } from './types.ts';

export type DisplayState = InstanceRecord['status'] | 'draining';

/** The state a card shows: draining wins over the status underneath. */
export function displayState(r: Pick<InstanceRecord, 'status' | 'draining'>): DisplayState {
  return r.draining ? 'draining' : r.status;
}

export const DRAIN_CAUSE_TEXT: Record<DrainCause, string> = {
  'reuse-exhausted': 'max reuse reached',
  'request-expired': 'a request timed out',
  'idle-timeout': 'idle timeout',
  shutdown: 'pool shutting down',
};

/**
 * Starting longer than this is flagged. A WAT guest starts in about a millisecond and a 14 MB
 * componentize-js guest in under a second alone; a 50-instance burst of those on 2 cores took
 * 5–7 s (issue 16). Three times that is no longer a busy machine but a stuck start.
 */
export const STARTING_LONG_MS = 20_000;
/**
 * Slack on the engine's own deadlines: its timers run on a busy event loop, and a killed
 * instance's exit waits for its executor (ARCHITECTURE.md, step 7: the request timeout plus 2 s).
 */
export const DEADLINE_SLACK_MS = 2_000;

export interface StateAge {
  state: DisplayState;
  /** Time in the state; null when unknown (the page connected after it began). */
  ms: number | null;
  /** Why it drains, in words (draining only). */
  cause: string | null;
  /** Set when the state is held past what the engine allows: what the bound is and why. */
  overdue: string | null;
}

export function stateAge(r: InstanceRecord, now: number, knobs: PoolKnobs | null): StateAge {
  const state = displayState(r);
  const ms = r.stateSince === null ? null : Math.max(0, now - r.stateSince);
  const cause = state === 'draining' && r.drainCause !== null ? DRAIN_CAUSE_TEXT[r.drainCause] : null;
  return { state, ms, cause, overdue: overdue(r, state, ms, now, knobs) };
}

function overdue(
  r: InstanceRecord,
  state: DisplayState,
  ms: number | null,
  now: number,
  knobs: PoolKnobs | null,
): string | null {
  switch (state) {
    case 'Starting':
      return ms !== null && ms > STARTING_LONG_MS
        ? `starting for over ${STARTING_LONG_MS / 1000} s: instances start in milliseconds to a few seconds`
        : null;
    case 'draining': {
      // The drain deadline runs from the moment no client waits on it any more; before that a
      // request may run as long as the request timeout allows (forever without one: the user's choice).
      if (knobs === null || r.drainQuietSince === null) return null;
      const bound = (knobs.requestTimeoutMs ?? 0) + DRAIN_GRACE_MS + DEADLINE_SLACK_MS;
      return now - r.drainQuietSince > bound
        ? `drained with nothing in flight for over ${fmtSeconds(bound)}: the engine kills a drained instance after the request timeout plus ${DRAIN_GRACE_MS / 1000} s`
        : null;
    }
    case 'Idle': {
      if (knobs === null || ms === null) return null;
      const bound = knobs.idleInstanceTimeoutMs + DEADLINE_SLACK_MS;
      return ms > bound ? `idle for over ${fmtSeconds(bound)}: the idle timeout should have ended it` : null;
    }
    case 'Requests':
    case 'PostReturn':
      // Under steady traffic an instance stays busy as long as requests keep coming: no bound.
      return null;
  }
}

function fmtSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The card's line: `draining 3.2 s — cause: max reuse reached`. */
export function describeStateAge(a: StateAge, fmt: (ms: number) => string): string {
  const time = a.ms === null ? '' : ` ${fmt(a.ms)}`;
  return `${a.state}${time}${a.cause ? ` — cause: ${a.cause}` : ''}`;
}
