/**
 * The story of one request, for the request panel: its phases on one time axis (received → queued
 * → instance starting → running → response head → body end → instance available), its instance and
 * reuse index, the output its guest wrote meanwhile, its outgoing calls and its leak verdict.
 *
 * Pure: assembled from the slices the reducers keep (and the event log, for what no slice keeps:
 * the instance's availability after the request, its body size, a `same` verdict), plus what the
 * engine kept of it (`requestDetail`), which fills in what the events no longer show.
 */
import type {
  DispatchMode,
  ExitCause,
  FailureKind,
  KeptHeaders,
  LeakVerdict,
  PoolEvent,
  RequestDetail,
  RequestPhases,
} from '../../../protocol/index.ts';
import { outgoingOfRequest } from './outgoing.ts';
import type {
  InstanceRecord,
  InstancesState,
  LeakFinding,
  LeaksState,
  OutgoingRecord,
  OutgoingState,
  OutputLine,
  RequestOutcome,
  RequestsState,
} from './types.ts';

export type StoryStepKey =
  | 'received'
  | 'dispatched'
  | 'spawned'
  | 'instantiated'
  | 'accepted'
  | 'expired'
  | 'responded'
  | 'ended'
  | 'available'
  | 'exited';

/** A moment of the story, in engine milliseconds. */
export interface StoryStep {
  key: StoryStepKey;
  t: number;
  label: string;
}

export type StorySpanKey = 'waiting' | 'starting' | 'running' | 'body' | 'after';

/** A stretch of the story on the shared axis; `open` when it has not ended yet (drawn up to `to`). */
export interface StorySpan {
  key: StorySpanKey;
  label: string;
  from: number;
  to: number;
  open: boolean;
}

export type StoryLeak =
  | { kind: 'finding'; finding: LeakFinding }
  | { kind: 'checked'; verdict: LeakVerdict; message: string | null }
  | { kind: 'none'; why: string };

export interface RequestStory {
  requestId: number;
  /** False when neither the dashboard nor the engine knows the request (let go, or another pool's). */
  known: boolean;
  method: string;
  uri: string;
  outcome: RequestOutcome;
  status: number | null;
  failure: { kind: FailureKind; message: string } | null;
  dispatchMode: DispatchMode | null;
  instanceId: number | null;
  reuseIndex: number | null;
  /** Chronological (ties keep the order of the request's life). */
  steps: StoryStep[];
  spans: StorySpan[];
  /** The axis: from receipt to the last step (or `now` while it runs). */
  from: number;
  to: number;
  requestHeaders: KeptHeaders | null;
  response: { status: number; headers: KeptHeaders } | null;
  requestBodyBytes: number | null;
  responseBodyBytes: number | null;
  output: { lines: OutputLine[]; omitted: number; from: 'engine' | 'events' };
  /**
   * Other requests that ran on its instance at the same time (WASIp3 concurrency): the output of a
   * moment cannot be told apart between them, so their lines are among these.
   */
  alongside: number[];
  outgoing: OutgoingRecord[];
  leak: StoryLeak;
}

export interface StoryInput {
  requestId: number;
  requests: RequestsState;
  instances: InstancesState;
  outgoing: OutgoingState;
  leaks: LeaksState;
  /** The event log as kept (capped): searched for this request's and its instance's events. */
  log: readonly PoolEvent[];
  /** What the engine kept of the request; null when not asked, not kept, or replaying. */
  detail: RequestDetail | null;
  /** Engine time now, where spans still open end. */
  now: number;
}

const STEP_ORDER: StoryStepKey[] = [
  'received',
  'dispatched',
  'spawned',
  'instantiated',
  'accepted',
  'expired',
  'responded',
  'ended',
  'available',
  'exited',
];

const DISPATCH_LABEL: Record<DispatchMode, string> = {
  'spawn-direct': 'dispatched: an instance is started for it',
  queued: 'queued for an available instance',
  'queued-then-spawn': 'queued, then an instance was started for the queue',
};

const EXIT_LABEL: Record<ExitCause, string> = {
  drained: 'its reuse count was used up',
  'idle-timeout': 'idle timeout',
  watchdog: 'killed by the watchdog',
  trap: 'the guest trapped',
  'instantiation-failed': 'instantiation failed',
  'executor-lost': 'its executor was lost',
  'worker-crashed': 'its thread crashed',
  shutdown: 'the pool shut down',
};

/** What the story knows of each phase: the events first, the engine's detail where they are silent. */
interface Phases extends Omit<RequestPhases, 'receivedAt'> {
  receivedAt: number | null;
}

export function buildRequestStory(input: StoryInput): RequestStory {
  const { requestId, detail } = input;
  const record = input.requests.byId.get(requestId) ?? null;
  const mine = input.log.filter((e) => 'requestId' in e && e.requestId === requestId);
  const instanceId = record?.instanceId ?? detail?.phases.instanceId ?? null;
  const instance = instanceId === null ? null : findInstance(input.instances, instanceId);
  const instanceEvents =
    instanceId === null ? [] : input.log.filter((e) => 'instanceId' in e && e.instanceId === instanceId);

  const d = detail?.phases;
  const receivedAt = record?.receivedAt ?? d?.receivedAt ?? null;
  const acceptedAt = record?.acceptedAt ?? d?.acceptedAt ?? null;
  const endedAt = record?.endedAt ?? d?.endedAt ?? null;
  const expired = mine.find((e) => e.type === 'request.expired');
  const phases: Phases = {
    receivedAt,
    dispatchedAt: mine.find((e) => e.type === 'request.dispatched')?.t ?? d?.dispatchedAt ?? null,
    dispatchMode: record?.dispatchMode ?? d?.dispatchMode ?? null,
    instanceId,
    reuseIndex: record?.reuseIndex ?? d?.reuseIndex ?? null,
    ...instanceStart(instance, receivedAt, d),
    acceptedAt,
    respondedAt: record?.respondedAt ?? d?.respondedAt ?? null,
    expiredAt: expired?.t ?? d?.expiredAt ?? null,
    endedAt,
    ...afterEnd(
      instanceEvents,
      acceptedAt,
      endedAt,
      record?.outcome === 'failed' || (detail?.failure ?? null) !== null,
      d,
    ),
  };

  // The further along of the two: the events may have stopped short (capped, or aggregated under load).
  const settledByEvents = record?.outcome === 'ok' || record?.outcome === 'failed';
  const outcome: RequestOutcome =
    record && (settledByEvents || (detail?.phases.endedAt ?? null) === null)
      ? record.outcome
      : outcomeFromDetail(detail);
  const failure = record?.failure ?? detail?.failure ?? null;
  const steps = storySteps(phases, record?.status ?? detail?.response?.status ?? null, failure, mine);
  const from = phases.receivedAt ?? steps[0]?.t ?? input.now;
  const last = steps[steps.length - 1]?.t ?? from;
  const settled =
    phases.availableAt !== null || phases.instanceExit !== null || (endedAt !== null && acceptedAt === null);
  const to = settled ? last : Math.max(last, input.now);

  const completed = mine.find((e) => e.type === 'request.completed');
  return {
    requestId,
    known: record !== null || detail !== null,
    method: record?.method ?? detail?.method ?? '?',
    uri: record?.uri ?? detail?.uri ?? '?',
    outcome,
    status: record?.status ?? detail?.response?.status ?? null,
    failure,
    dispatchMode: phases.dispatchMode,
    instanceId,
    reuseIndex: phases.reuseIndex,
    steps,
    spans: storySpans(phases, to),
    from,
    to,
    requestHeaders: detail?.requestHeaders ?? null,
    response: detail?.response ?? null,
    requestBodyBytes: detail?.requestBodyBytes ?? null,
    responseBodyBytes:
      detail?.responseBodyBytes ?? (completed?.type === 'request.completed' ? completed.bodyBytes : null),
    output: storyOutput(detail, instance, acceptedAt, endedAt),
    alongside: alongside(input.requests, requestId, instanceId, acceptedAt, endedAt, input.now),
    outgoing: instanceId === null ? [] : outgoingOfRequest(input.outgoing, instanceId, requestId),
    leak: storyLeak(input.leaks, mine, requestId, phases.reuseIndex, outcome),
  };
}

function findInstance(state: InstancesState, id: number): InstanceRecord | null {
  return state.live.get(id) ?? state.retired.find((r) => r.instanceId === id) ?? null;
}

/** The instance's start, when it was started while the request waited (for it, or for its queue). */
function instanceStart(
  instance: InstanceRecord | null,
  receivedAt: number | null,
  d: RequestPhases | undefined,
): Pick<Phases, 'spawnedAt' | 'instantiatedAt'> {
  // `spawnReason` is set only when this dashboard saw the spawn (not a card first seen in a snapshot).
  if (instance && instance.spawnReason !== null && receivedAt !== null && instance.createdAt >= receivedAt) {
    return { spawnedAt: instance.createdAt, instantiatedAt: instance.instantiatedAt };
  }
  return { spawnedAt: d?.spawnedAt ?? null, instantiatedAt: d?.instantiatedAt ?? null };
}

/**
 * When the instance could take work again after the request: as the engine's detail says, when the
 * page has it; else from the page's events: at once if it stayed available while a request that
 * succeeded ran (WASIp3 concurrency), else its next `worker.available`, or its exit (a failed
 * request often drains its instance: an expiry, a trap).
 */
function afterEnd(
  instanceEvents: readonly PoolEvent[],
  acceptedAt: number | null,
  endedAt: number | null,
  failed: boolean,
  d: RequestPhases | undefined,
): Pick<Phases, 'availableAt' | 'instanceExit'> {
  const known = { availableAt: d?.availableAt ?? null, instanceExit: d?.instanceExit ?? null };
  // The engine saw every event; the page's log is bounded, and under extreme load its stream sheds
  // events (engine/bridge/event-batcher.ts), so its own scan could land on a later one.
  if (acceptedAt === null || endedAt === null || known.availableAt !== null || known.instanceExit !== null) {
    return known;
  }
  let availableAtEnd = false;
  for (const e of instanceEvents) {
    if (e.t < acceptedAt) continue;
    if (e.t <= endedAt) {
      if (e.type === 'worker.available') availableAtEnd = true;
      else if (e.type === 'worker.unavailable') availableAtEnd = false;
      continue;
    }
    if (availableAtEnd && !failed) break;
    if (e.type === 'worker.available') return { availableAt: e.t, instanceExit: null };
    if (e.type === 'worker.exit') return { availableAt: null, instanceExit: { t: e.t, cause: e.cause } };
  }
  if (availableAtEnd && !failed) return { availableAt: endedAt, instanceExit: null };
  return known;
}

function outcomeFromDetail(detail: RequestDetail | null): RequestOutcome {
  if (!detail) return 'waiting';
  const p = detail.phases;
  if (p.endedAt !== null) return detail.failure ? 'failed' : 'ok';
  return p.acceptedAt !== null ? 'running' : 'waiting';
}

function storySteps(
  p: Phases,
  status: number | null,
  failure: { kind: FailureKind; message: string } | null,
  mine: readonly PoolEvent[],
): StoryStep[] {
  const steps: StoryStep[] = [];
  const add = (key: StoryStepKey, t: number | null, label: string): void => {
    if (t !== null) steps.push({ key, t, label });
  };
  const on = p.instanceId === null ? 'its instance' : `instance ${p.instanceId}`;
  add('received', p.receivedAt, 'received');
  add('dispatched', p.dispatchedAt, p.dispatchMode ? DISPATCH_LABEL[p.dispatchMode] : 'dispatched');
  add('spawned', p.spawnedAt, `${on} starting`);
  add('instantiated', p.instantiatedAt, `${on} ready`);
  add('accepted', p.acceptedAt, `running on ${on}${p.reuseIndex !== null ? `, its request #${p.reuseIndex}` : ''}`);
  add('expired', p.expiredAt, 'expired: past the request timeout');
  add('responded', p.respondedAt, `response head: ${status ?? '?'}`);
  const ended = mine.find((e) => e.type === 'request.completed' || e.type === 'request.failed');
  add(
    'ended',
    p.endedAt,
    failure
      ? `failed: ${failure.kind}`
      : ended?.type === 'request.completed' || p.respondedAt !== null
        ? 'body end'
        : 'ended',
  );
  add('available', p.availableAt, `${on} available again`);
  if (p.instanceExit) add('exited', p.instanceExit.t, `${on} exited: ${EXIT_LABEL[p.instanceExit.cause]}`);
  // Chronological; a tie keeps the life's order (an instance ready and accepting in the same ms).
  return steps.sort((a, b) => a.t - b.t || STEP_ORDER.indexOf(a.key) - STEP_ORDER.indexOf(b.key));
}

function storySpans(p: Phases, to: number): StorySpan[] {
  const spans: StorySpan[] = [];
  const add = (key: StorySpanKey, label: string, from: number | null, end: number | null): void => {
    if (from === null) return;
    spans.push({ key, label, from, to: end ?? to, open: end === null });
  };
  const waitLabel =
    p.dispatchMode === 'spawn-direct' ? 'waiting for its instance' : p.dispatchMode ? 'queued' : 'waiting';
  add('waiting', waitLabel, p.receivedAt, p.acceptedAt ?? p.endedAt);
  add('starting', 'instance starting', p.spawnedAt, p.instantiatedAt);
  if (p.acceptedAt !== null) {
    add('running', 'running', p.acceptedAt, p.respondedAt ?? p.endedAt);
    if (p.respondedAt !== null) add('body', 'response body', p.respondedAt, p.endedAt);
    if (p.endedAt !== null) add('after', 'instance finishing', p.endedAt, p.availableAt ?? p.instanceExit?.t ?? null);
  }
  return spans;
}

function storyOutput(
  detail: RequestDetail | null,
  instance: InstanceRecord | null,
  acceptedAt: number | null,
  endedAt: number | null,
): RequestStory['output'] {
  if (detail) return { lines: detail.output, omitted: detail.outputOmitted, from: 'engine' };
  if (!instance || acceptedAt === null) return { lines: [], omitted: 0, from: 'events' };
  const until = endedAt ?? Number.POSITIVE_INFINITY;
  return { lines: instance.output.filter((o) => o.t >= acceptedAt && o.t <= until), omitted: 0, from: 'events' };
}

function alongside(
  requests: RequestsState,
  requestId: number,
  instanceId: number | null,
  acceptedAt: number | null,
  endedAt: number | null,
  now: number,
): number[] {
  if (instanceId === null || acceptedAt === null) return [];
  const until = endedAt ?? now;
  const ids: number[] = [];
  for (const r of requests.byId.values()) {
    if (r.requestId === requestId || r.instanceId !== instanceId || r.acceptedAt === null) continue;
    if (r.acceptedAt < until && (r.endedAt ?? now) > acceptedAt) ids.push(r.requestId);
  }
  return ids;
}

function storyLeak(
  leaks: LeaksState,
  mine: readonly PoolEvent[],
  requestId: number,
  reuseIndex: number | null,
  outcome: RequestOutcome,
): StoryLeak {
  const finding = leaks.byRequest.get(requestId);
  if (finding) return { kind: 'finding', finding };
  const checked = mine.find((e) => e.type === 'leak.checked');
  if (checked?.type === 'leak.checked') return { kind: 'checked', verdict: checked.verdict, message: checked.message };
  if (reuseIndex === null) return { kind: 'none', why: 'not checked: it never ran on an instance' };
  if (reuseIndex === 1) return { kind: 'none', why: "not checked: a fresh instance's answer has nothing to leak" };
  if (leaks.settings?.mode === 'off') return { kind: 'none', why: 'not checked: leak detection is off' };
  if (outcome === 'waiting' || outcome === 'running') return { kind: 'none', why: 'not checked yet: still running' };
  return { kind: 'none', why: 'no verdict seen (not sampled, skipped, or still replaying)' };
}
