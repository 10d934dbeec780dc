/**
 * The recording file: one JSON document holding what a dashboard received (snapshots, event
 * batches, load progress), so it can be replayed later. The envelope is checked strictly, each
 * message with the protocol's own schemas (events of types this dashboard does not know must
 * still load, and fields older recordings lack may be missing), and every rejection names what
 * is wrong and where.
 */
import { z } from 'zod';
import { batchesOf, gaugesAfter } from '../model/event-batches.ts';
import { ZERO_GAUGES } from '../model/types.ts';
import {
  componentInfoSchema,
  DEFAULT_LEAK_DETECTION,
  DEFAULT_MAX_INSTANCES,
  DEFAULT_MAX_REQUEST_BODY_BYTES,
  EVENT_BATCH_INTERVAL_MS,
  gaugesSchema,
  HISTORY_MAX_EVENTS,
  historySchema,
  leakCheckedSchema,
  leakDetectionSchema,
  loadProgressSchema,
  poolEventSchema,
  poolKnobsSchema,
  scenarioInfoSchema,
  scenarioProgressSchema,
  snapshotSchema,
  workerMemorySchema,
  type ComponentInfo,
  type Gauges,
  type PoolEvent,
  type PoolKnobs,
  type ServerMessage,
} from '../../../protocol/index.ts';

export const RECORDING_FORMAT = 'poolscope-recording';
export const RECORDING_VERSION = 1;

/** What a recording keeps: everything the engine pushes except command replies (snapshots, events, progress). */
export type RecordedMessage = Exclude<ServerMessage, { kind: 'reply' }>;

/**
 * One step of a recording. `t` places it on the engine clock (a snapshot's `t`, a batch's last
 * event; load progress carries no time of its own). `clearHistory` marks the user's Clear, which
 * changes the dashboard without a message of its own.
 */
export type RecordingEntry = { t: number; message: RecordedMessage } | { t: number; action: 'clearHistory' };

export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: typeof RECORDING_VERSION;
  /** ISO 8601. */
  exportedAt: string;
  component: ComponentInfo | null;
  knobs: PoolKnobs | null;
  /** Engine time of the first and the last entry. */
  startT: number;
  endT: number;
  eventCount: number;
  /** The recorder hit its cap and stopped before the session ended. */
  truncated: boolean;
  messages: RecordingEntry[];
}

/** How an opened file was read. */
export type RecordingSource = 'recording' | 'json-lines';

export type ParseResult = { ok: true; recording: Recording; source: RecordingSource } | { ok: false; error: string };

export function eventCountOf(entries: readonly RecordingEntry[]): number {
  let n = 0;
  for (const e of entries) {
    if (!('message' in e)) continue;
    if (e.message.kind === 'events') n += e.message.events.length;
    // The engine's history a late-opened page started from is part of what it recorded.
    else if (e.message.kind === 'snapshot') n += e.message.snapshot.history?.events.length ?? 0;
  }
  return n;
}

export function toJson(recording: Recording): string {
  return JSON.stringify(recording);
}

// ---- validation -------------------------------------------------------------------------------

/**
 * The engine's own knob schema, open to knobs a later version may add. Knobs added since the
 * first format (the instance cap, the body cap) may be missing: they take their defaults.
 */
const ADDED_KNOBS = { maxInstances: DEFAULT_MAX_INSTANCES, maxRequestBodyBytes: DEFAULT_MAX_REQUEST_BODY_BYTES };
const knobsSchema = poolKnobsSchema.partial({ maxInstances: true, maxRequestBodyBytes: true }).loose();

/** Fills knobs an older recording lacks, in place (the document was just validated). */
function fillAddedKnobs(knobs: unknown): void {
  if (!isObject(knobs)) return;
  for (const [key, value] of Object.entries(ADDED_KNOBS)) if (!(key in knobs)) knobs[key] = value;
}

/**
 * Recordings keep version 1 while the engine's vocabulary grew; an older one is brought up to
 * today's words in place before it is checked, so it loads rather than being refused:
 * the failure kind `client-aborted` is now `client-gone`, a scenario phase's `abandoned` count
 * (added later) is 0, and leak settings without `maxReplaysPerSecond` had no such limit's default.
 */
function upgradeOlderFields(messages: readonly unknown[]): void {
  const phases = (progress: unknown): void => {
    if (!isObject(progress) || !Array.isArray(progress.results)) return;
    for (const phase of progress.results) {
      if (!isObject(phase)) continue;
      if (!('abandoned' in phase)) phase.abandoned = 0;
      const byKind = phase.failedByKind;
      if (isObject(byKind) && 'client-aborted' in byKind) {
        byKind['client-gone'] = byKind['client-aborted'];
        delete byKind['client-aborted'];
      }
    }
  };
  for (const entry of messages) {
    if (!isObject(entry) || !isObject(entry.message)) continue;
    const message = entry.message;
    if (message.kind === 'events' && Array.isArray(message.events)) {
      for (const event of message.events) upgradeEvent(event);
    } else if (message.kind === 'scenario') {
      phases(message.progress);
    } else if (message.kind === 'snapshot' && isObject(message.snapshot)) {
      phases(message.snapshot.scenario);
      const leaks = message.snapshot.leakDetection;
      if (isObject(leaks) && !('maxReplaysPerSecond' in leaks))
        leaks.maxReplaysPerSecond = DEFAULT_LEAK_DETECTION.maxReplaysPerSecond;
      // Before the replay queue an answer that found every slot busy was skipped: no queue.
      if (isObject(leaks) && !('maxQueuedReplays' in leaks)) leaks.maxQueuedReplays = 0;
    }
  }
}

/** An event of an older engine, in today's words (in place). */
function upgradeEvent(event: unknown): void {
  if (isObject(event) && event.type === 'request.failed' && event.kind === 'client-aborted') event.kind = 'client-gone';
}

/** Every event type this dashboard knows, with the protocol's schema for it. */
const EVENT_SCHEMAS = new Map<string, z.ZodType>(
  poolEventSchema.options.map((schema) => [schema.shape.type.value, schema]),
);
// Fields events recorded before they existed lack (the reducers fall back).
EVENT_SCHEMAS.set('worker.memory', workerMemorySchema.partial({ requestsDone: true }));
EVENT_SCHEMAS.set('leak.checked', leakCheckedSchema.partial({ requestHeaders: true, requestBodyBytes: true }));

/**
 * Events of the types this dashboard knows are checked fully (the reducers and views trust what
 * they carry); of other types, for what every event has (a later version's events must load too).
 */
const eventSchema = z
  .looseObject({ type: z.string().min(1), t: z.number(), seq: z.number() })
  .superRefine((event, ctx) => {
    const schema = EVENT_SCHEMAS.get(event.type);
    if (!schema) return;
    const parsed = schema.safeParse(event);
    if (parsed.success) return;
    // biome-ignore lint/style/noNonNullAssertion: a failed parse has at least one issue
    const issue = parsed.error.issues[0]!;
    ctx.addIssue({ code: 'custom', message: `${event.type}: ${issue.message}`, path: issue.path });
  });

/** The engine's snapshot; what recordings made before a field existed lack may be missing (the reducers fall back). */
const recordedSnapshotSchema = snapshotSchema.extend({
  knobs: knobsSchema,
  requestedKnobs: knobsSchema,
  poolId: snapshotSchema.shape.poolId.optional(),
  leakDetection: leakDetectionSchema.optional(),
  scenarios: z.array(scenarioInfoSchema).optional(),
  scenario: scenarioProgressSchema.nullable().optional(),
  // The history a late-opened page started from: its events checked as a batch's are.
  history: historySchema.extend({ events: z.array(eventSchema).max(HISTORY_MAX_EVENTS) }).optional(),
});

/** What is wrong with one event of a JSON-lines file, by the same rules, or null. */
function eventError(event: unknown): string | null {
  const parsed = eventSchema.safeParse(event);
  return parsed.success ? null : firstIssue(parsed.error);
}

/** Typed by kind, so a new kind of server message does not compile until it is recorded and checked. */
const MESSAGE_SCHEMAS: Record<RecordedMessage['kind'], z.ZodType> = {
  snapshot: z.strictObject({ kind: z.literal('snapshot'), snapshot: recordedSnapshotSchema }),
  events: z.strictObject({
    kind: z.literal('events'),
    events: z.array(eventSchema),
    gauges: gaugesSchema,
    dropped: z.number(),
  }),
  'load-progress': z.strictObject({ kind: z.literal('load-progress'), progress: loadProgressSchema }),
  scenario: z.strictObject({ kind: z.literal('scenario'), progress: scenarioProgressSchema }),
};
const isRecordedKind = (kind: unknown): kind is RecordedMessage['kind'] =>
  typeof kind === 'string' && Object.hasOwn(MESSAGE_SCHEMAS, kind);

const envelopeSchema = z.strictObject({
  format: z.literal(RECORDING_FORMAT),
  version: z.literal(RECORDING_VERSION),
  exportedAt: z.iso.datetime({ offset: true }),
  component: componentInfoSchema.nullable(),
  knobs: knobsSchema.nullable(),
  startT: z.number(),
  endT: z.number(),
  eventCount: z.number().int().nonnegative(),
  truncated: z.boolean(),
  messages: z.array(z.unknown()),
});

/** `events[3].t` */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function firstIssue(error: z.ZodError): string {
  // biome-ignore lint/style/noNonNullAssertion: a failed parse has at least one issue
  const issue = error.issues[0]!;
  return issue.path.length ? `${pathText(issue.path)}: ${issue.message}` : issue.message;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One entry of `messages`; returns the error text (without the "message N" prefix) or null. */
function entryError(raw: unknown): string | null {
  if (!isObject(raw)) return 'not an object';
  if (typeof raw.t !== 'number') return 't: must be a number';
  if ('action' in raw) {
    if (raw.action !== 'clearHistory' || Object.keys(raw).length !== 2)
      return `unknown action ${JSON.stringify(raw.action)}`;
    return null;
  }
  if (Object.keys(raw).length !== 2 || !isObject(raw.message)) return 'must be { t, message }';
  const kind = raw.message.kind;
  if (!isRecordedKind(kind)) {
    return `kind ${JSON.stringify(kind)} is not recorded (expected ${Object.keys(MESSAGE_SCHEMAS).join(', ')})`;
  }
  const parsed = MESSAGE_SCHEMAS[kind].safeParse(raw.message);
  return parsed.success ? null : `${kind}: ${firstIssue(parsed.error)}`;
}

/** Checks a parsed recording document; on success the input itself is returned (no copy). */
export function validateRecording(doc: unknown): { ok: true; recording: Recording } | { ok: false; error: string } {
  if (!isObject(doc) || doc.format !== RECORDING_FORMAT) {
    return { ok: false, error: `not a Poolscope recording (no "format": "${RECORDING_FORMAT}")` };
  }
  if (typeof doc.version === 'number' && doc.version > RECORDING_VERSION) {
    return {
      ok: false,
      error: `recording version ${doc.version} is newer than this dashboard understands (it reads version ${RECORDING_VERSION})`,
    };
  }
  const envelope = envelopeSchema.safeParse(doc);
  if (!envelope.success) return { ok: false, error: `invalid recording: ${firstIssue(envelope.error)}` };
  // The parsed copy's entries are the document's own objects, so filling knobs below changes the document.
  const { messages } = envelope.data;
  upgradeOlderFields(messages);
  for (const [i, entry] of messages.entries()) {
    const error = entryError(entry);
    if (error) return { ok: false, error: `message ${i}: ${error}` };
  }
  fillAddedKnobs(doc.knobs);
  for (const entry of messages) {
    if (
      !isObject(entry) ||
      !isObject(entry.message) ||
      entry.message.kind !== 'snapshot' ||
      !isObject(entry.message.snapshot)
    )
      continue;
    fillAddedKnobs(entry.message.snapshot.knobs);
    fillAddedKnobs(entry.message.snapshot.requestedKnobs);
  }
  // Checked above, in place: the envelope by its schema, each entry by its kind's, and added knobs filled in.
  const recording = doc as unknown as Recording;
  const counted = eventCountOf(recording.messages);
  if (counted !== recording.eventCount) {
    return {
      ok: false,
      error: `invalid recording: eventCount is ${recording.eventCount} but the messages hold ${counted} events (a cut-off file?)`,
    };
  }
  if (recording.endT < recording.startT) return { ok: false, error: 'invalid recording: endT is before startT' };
  return { ok: true, recording };
}

/**
 * Events an opened file may hold: the recorder's own bound (recorder.ts, ~100 MB in memory), so
 * every recording this dashboard exports opens. A recording document holding more is refused; a
 * longer `--events` file opens its first this many events, marked cut (`truncated`).
 */
export const MAX_OPENED_EVENTS = 500_000;

/** What the file pickers offer: recordings (`.poolscope.json`, `.json`) and `--events` files (`.jsonl`). */
export const RECORDING_FILE_TYPES = '.json,.jsonl,.poolscope.json';

// ---- JSON lines (`poolscope serve --events FILE`) -------------------------------------------

const isEventLike = (v: unknown): v is PoolEvent =>
  isObject(v) && typeof v.type === 'string' && v.type !== '' && typeof v.t === 'number' && typeof v.seq === 'number';

/**
 * Events as `--events` writes them, one per line, become a recording without a snapshot (replayed
 * from an empty dashboard), batched the way the bridge batches them.
 */
export function recordingFromEvents(events: readonly PoolEvent[], exportedAt: string, truncated = false): Recording {
  const messages: RecordingEntry[] = [];
  let gauges: Gauges = ZERO_GAUGES;
  for (const batch of batchesOf(events, EVENT_BATCH_INTERVAL_MS)) {
    gauges = gaugesAfter(batch, gauges);
    // biome-ignore lint/style/noNonNullAssertion: batchesOf yields no empty batch
    messages.push({ t: batch[batch.length - 1]!.t, message: { kind: 'events', events: batch, gauges, dropped: 0 } });
  }
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    exportedAt,
    component: null,
    knobs: null,
    startT: events[0]?.t ?? 0,
    endT: events[events.length - 1]?.t ?? 0,
    eventCount: events.length,
    truncated,
    messages,
  };
}

function parseJsonLines(text: string, exportedAt: string, maxEvents: number): ParseResult {
  const events: PoolEvent[] = [];
  let cut = false;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (events.length >= maxEvents) {
      cut = true;
      break;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, error: `line ${i + 1}: not JSON (a JSON-lines event file has one event per line)` };
    }
    if (!isEventLike(value))
      return {
        ok: false,
        error: `line ${i + 1}: not a Poolscope event (needs a string "type" and numeric "t" and "seq")`,
      };
    upgradeEvent(value);
    const wrong = eventError(value);
    if (wrong) return { ok: false, error: `line ${i + 1}: ${wrong}` };
    const last = events[events.length - 1];
    if (last && value.t < last.t)
      return {
        ok: false,
        error: `line ${i + 1}: t goes backwards (${value.t} after ${last.t}); is this one engine's event stream?`,
      };
    events.push(value);
  }
  if (events.length === 0) return { ok: false, error: 'the file holds no events' };
  return { ok: true, recording: recordingFromEvents(events, exportedAt, cut), source: 'json-lines' };
}

/**
 * Reads an opened file: a recording (one JSON document) or a JSON-lines event stream.
 * `exportedAt` dates an event stream, which carries no date of its own (the file's mtime).
 */
export function parseRecordingText(text: string, exportedAt: string, maxEvents = MAX_OPENED_EVENTS): ParseResult {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { ok: false, error: 'the file is empty' };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    // Not one JSON document: an event stream has a JSON object on each line.
    // biome-ignore lint/style/noNonNullAssertion: splitting at a separator yields at least one piece
    const first = body.trimStart().split('\n', 1)[0]!;
    try {
      if (isEventLike(JSON.parse(first))) return parseJsonLines(body, exportedAt, maxEvents);
    } catch {
      // fall through
    }
    return { ok: false, error: 'not a Poolscope recording: the file is neither JSON nor a JSON-lines event stream' };
  }
  if (isEventLike(doc)) return parseJsonLines(body, exportedAt, maxEvents); // an event stream of one line
  // Before checking each entry: a document past the bound is refused without walking it (a lower,
  // false `eventCount` is caught by validateRecording's count).
  if (isObject(doc) && typeof doc.eventCount === 'number' && doc.eventCount > maxEvents) {
    return {
      ok: false,
      error: `the recording holds ${doc.eventCount} events; the dashboard opens at most ${maxEvents}`,
    };
  }
  const checked = validateRecording(doc);
  return checked.ok ? { ok: true, recording: checked.recording, source: 'recording' } : checked;
}
