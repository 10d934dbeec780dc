import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { applyServerMessage, initialData } from '../model/apply.ts';
import { loadFixture } from '../model/test-support.ts';
import { parseRecordingText, toJson, type Recording } from './format.ts';
import { Replayer } from './replay.ts';
import { FIXTURES, liveSession, sessionMessages } from './test-streams.ts';

const EXPORTED = '2026-11-25T10:00:00.000Z';

function recorded(fixture = 'counter-reuse3.jsonl'): Recording {
  const { recorder } = liveSession(sessionMessages(fixture));
  const recording = recorder.toRecording({ component: null, knobs: null }, new Date(EXPORTED));
  assert.ok(recording);
  return recording;
}

/** The recording as a plain JSON value, to break on purpose. */
const doc = (): Record<string, unknown> => JSON.parse(toJson(recorded())) as Record<string, unknown>;
const parse = (value: unknown): string => {
  const result = parseRecordingText(typeof value === 'string' ? value : JSON.stringify(value), EXPORTED);
  assert.equal(result.ok, false, 'rejected');
  return (result as { error: string }).error;
};

describe('recording format', () => {
  for (const fixture of FIXTURES) {
    it(`round-trips ${fixture}: export → JSON text → import gives the same messages`, () => {
      const recording = recorded(fixture);
      const result = parseRecordingText(toJson(recording), EXPORTED);
      assert.ok(result.ok, result.ok ? '' : result.error);
      assert.equal(result.source, 'recording');
      assert.deepEqual(result.recording, recording);
      assert.equal(result.recording.eventCount, loadFixture(fixture).length);
      assert.equal(result.recording.messages[0]!.t, 0);
      assert.equal('message' in result.recording.messages[0]! && result.recording.messages[0].message.kind, 'snapshot');
      assert.ok(
        result.recording.messages.every((e) => !('message' in e) || (e.message.kind as string) !== 'reply'),
        'replies are not recorded',
      );
    });
  }

  it('keeps event types it does not know (future events load and show in the log)', () => {
    const d = doc();
    const messages = d.messages as Array<{ t: number; message: Record<string, unknown> }>;
    const t = (d.endT as number) + 1;
    messages.push({
      t,
      message: {
        kind: 'events',
        events: [{ type: 'pool.future_event', t, seq: 1e9, anything: ['goes'] }],
        gauges: { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0 },
        dropped: 0,
      },
    });
    d.eventCount = (d.eventCount as number) + 1;
    d.endT = t;
    const result = parseRecordingText(JSON.stringify(d), EXPORTED);
    assert.ok(result.ok, result.ok ? '' : result.error);
    const end = new Replayer(result.recording).seek(result.recording.endT);
    assert.equal(end.log.events.at(-1)!.type as string, 'pool.future_event');
  });

  it('loads a recording made before the instance and body caps existed, with their defaults', () => {
    const d = doc();
    const messages = d.messages as Array<{
      message: { kind: string; snapshot?: { knobs: Record<string, unknown> | null } };
    }>;
    const snapshot = messages.find((m) => m.message.kind === 'snapshot')!.message.snapshot!;
    assert.ok(snapshot.knobs, 'the fixture has knobs');
    delete snapshot.knobs.maxInstances;
    delete snapshot.knobs.maxRequestBodyBytes;
    const result = parseRecordingText(JSON.stringify(d), EXPORTED);
    assert.ok(result.ok, result.ok ? '' : result.error);
    const loaded = result.recording.messages.find((m) => 'message' in m && m.message.kind === 'snapshot');
    assert.ok(loaded && 'message' in loaded && loaded.message.kind === 'snapshot');
    assert.equal(loaded.message.snapshot.knobs?.maxInstances, 64);
    assert.equal(loaded.message.snapshot.knobs?.maxRequestBodyBytes, 64 * 1024 * 1024);
  });

  it("loads a recording an older engine made, in today's words (client-aborted, no abandoned count, no replay rate)", () => {
    // Made by the previous release's recorder from the trap fixture, with the fields of that time.
    const text = readFileSync(new URL('../model/fixtures/older-recording.json', import.meta.url), 'utf8');
    const result = parseRecordingText(text, EXPORTED);
    assert.ok(result.ok, result.ok ? '' : result.error);
    const messages = result.recording.messages.flatMap((m) => ('message' in m ? [m.message] : []));
    const failed = messages
      .flatMap((m) => (m.kind === 'events' ? m.events : []))
      .filter((e) => e.type === 'request.failed');
    assert.deepEqual(
      failed.map((e) => e.kind),
      ['client-gone', 'trap'],
    );
    const phase = messages.find((m) => m.kind === 'scenario')?.progress.results[0];
    assert.equal(phase?.abandoned, 0);
    assert.deepEqual(phase?.failedByKind, { 'client-gone': 1 });
    const snapshot = messages.find((m) => m.kind === 'snapshot');
    assert.equal(snapshot?.snapshot.leakDetection?.maxReplaysPerSecond, 10);
    // And it replays to the end.
    assert.equal(new Replayer(result.recording).seek(result.recording.endT).requests.byId.size, 2);
  });

  it('rejects what is not a recording, with a message that says what is wrong', () => {
    assert.equal(parse(''), 'the file is empty');
    assert.equal(parse('<html>'), 'not a Poolscope recording: the file is neither JSON nor a JSON-lines event stream');
    assert.equal(parse({ hello: 'world' }), 'not a Poolscope recording (no "format": "poolscope-recording")');
    assert.equal(parse([1, 2]), 'not a Poolscope recording (no "format": "poolscope-recording")');
    assert.equal(
      parse({ ...doc(), version: 2 }),
      'recording version 2 is newer than this dashboard understands (it reads version 1)',
    );
    assert.match(parse({ ...doc(), version: 0 }), /^invalid recording: version: /);
    const { endT: _endT, ...noEnd } = doc();
    assert.match(parse(noEnd), /^invalid recording: endT: /);
    assert.match(parse({ ...doc(), extra: 1 }), /^invalid recording: .*extra/);
    assert.match(parse({ ...doc(), exportedAt: 'yesterday' }), /^invalid recording: exportedAt: /);
    assert.equal(
      parse({ ...doc(), eventCount: 3 }),
      'invalid recording: eventCount is 3 but the messages hold 70 events (a cut-off file?)',
    );
  });

  it('names the message and the field that is wrong', () => {
    const withMessage = (index: number, change: (m: Record<string, unknown>) => void): string => {
      const d = doc();
      change((d.messages as Array<Record<string, unknown>>)[index]!);
      return parse(d);
    };
    assert.equal(
      withMessage(1, (e) => (e.message = { kind: 'reply', id: 1, ok: true })),
      'message 1: kind "reply" is not recorded (expected snapshot, events, load-progress, scenario)',
    );
    assert.match(
      withMessage(2, (e) => ((e.message as { events: Array<Record<string, unknown>> }).events[0]!.t = 'soon')),
      /^message 2: events: events\[0\]\.t: .*expected number/,
    );
    assert.match(
      withMessage(2, (e) => ((e.message as { events: Array<Record<string, unknown>> }).events[0]!.type = 7)),
      /^message 2: events: events\[0\]\.type: /,
    );
    assert.match(
      withMessage(0, (e) => delete (e.message as { snapshot: Record<string, unknown> }).snapshot.instances),
      /^message 0: snapshot: snapshot\.instances: /,
    );
    assert.equal(
      withMessage(3, (e) => delete e.t),
      'message 3: t: must be a number',
    );
    assert.equal(
      withMessage(3, (e) => (e.extra = true)),
      'message 3: must be { t, message }',
    );
    assert.equal(
      withMessage(3, (e) => {
        delete e.message;
        e.action = 'rewind';
      }),
      'message 3: unknown action "rewind"',
    );
  });

  it("refuses an event the protocol's schema refuses, naming the message, the event and the field", () => {
    /** The recording with the first event of `type` changed, and where that event is. */
    const withEvent = (
      type: string,
      change: (event: Record<string, unknown>) => void,
    ): { error: string; at: string } => {
      const d = doc();
      const messages = d.messages as Array<{ message: { kind: string; events?: Array<Record<string, unknown>> } }>;
      const m = messages.findIndex((entry) => entry.message.events?.some((e) => e.type === type));
      const e = messages[m]!.message.events!.findIndex((event) => event.type === type);
      change(messages[m]!.message.events![e]!);
      return { error: parse(d), at: `message ${m}: events: events[${e}]` };
    };
    const zero = withEvent('worker.spawned', (e) => (e.instanceId = 'zero'));
    assert.equal(zero.error, `${zero.at}.instanceId: worker.spawned: Invalid input: expected number, received string`);
    const nonsense = withEvent('worker.exit', (e) => (e.cause = 'nonsense'));
    assert.equal(
      nonsense.error,
      `${nonsense.at}.cause: worker.exit: Invalid option: expected one of "drained"|"idle-timeout"|"watchdog"|"trap"|"instantiation-failed"|"executor-lost"|"worker-crashed"|"shutdown"`,
    );
    // The same rules for an event file (`--events`), by line.
    const lines = readFileSync(new URL('../model/fixtures/counter-reuse3.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n');
    const at = lines.findIndex((line) => line.includes('"worker.exit"'));
    const broken = JSON.stringify({ ...(JSON.parse(lines[at]!) as Record<string, unknown>), cause: 'nonsense' });
    assert.match(
      parse([...lines.slice(0, at), broken].join('\n')),
      new RegExp(`^line ${at + 1}: cause: worker\\.exit: Invalid option: `),
    );
  });

  it('checks outgoing-request events fully: a recording with them loads, a malformed one is refused by message, event and field', () => {
    const withEvent = (
      change: (event: Record<string, unknown>) => void,
      type = 'request.outgoing',
    ): ReturnType<typeof parseRecordingText> => {
      const d = JSON.parse(toJson(recorded('fetch-outgoing.jsonl'))) as Record<string, unknown>;
      const messages = d.messages as Array<{ message: { kind: string; events?: Array<Record<string, unknown>> } }>;
      const at = messages.findIndex((m) => m.message.events?.some((e) => e.type === type));
      const event = messages[at]!.message.events!.find((e) => e.type === type)!;
      change(event);
      return parseRecordingText(JSON.stringify(d), EXPORTED);
    };
    const error = (result: ReturnType<typeof parseRecordingText>): string => (
      assert.equal(result.ok, false), (result as { error: string }).error
    );
    const loaded = withEvent(() => {});
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const outgoing = loaded.recording.messages
      .flatMap((m) => ('message' in m && m.message.kind === 'events' ? m.message.events : []))
      .filter((e) => e.type === 'request.outgoing');
    assert.equal(outgoing.length, 4);

    assert.match(
      error(withEvent((e) => delete e.outcome)),
      /^message \d+: events: events\[\d+\]\.outcome: request\.outgoing: /,
    );
    assert.match(
      error(withEvent((e) => (e.outcome = 'maybe'))),
      /^message \d+: events: events\[\d+\]\.outcome: request\.outgoing: /,
    );
    assert.match(
      error(withEvent((e) => (e.path = `/${'x'.repeat(2000)}`))),
      /^message \d+: events: events\[\d+\]\.path: request\.outgoing: .*1024/,
    );
    assert.match(error(withEvent((e) => (e.requestId = '3'))), /\.requestId: request\.outgoing: /);
    assert.match(
      error(withEvent((e) => (e.error = { tag: 'connection-refused' }))),
      /\.error\.detail: request\.outgoing: /,
    );
    assert.match(error(withEvent((e) => (e.sneaky = true))), /request\.outgoing: .*sneaky/);
    const asDropped = (count: unknown) => (e: Record<string, unknown>) => {
      const { t, seq } = e;
      for (const key of Object.keys(e)) delete e[key];
      Object.assign(e, { type: 'request.outgoing_dropped', t, seq, instanceId: 0, count, failed: 1 });
    };
    const dropped = withEvent(asDropped(3));
    assert.ok(dropped.ok, dropped.ok ? '' : dropped.error);
    assert.match(error(withEvent(asDropped(0))), /\.count: request\.outgoing_dropped: /);
  });

  it("checks a leak finding's outgoing requests when present, and loads findings recorded before them", () => {
    const d = JSON.parse(toJson(recorded('fetch-outgoing.jsonl'))) as Record<string, unknown>;
    const checks = (d.messages as Array<{ message: { events?: Array<Record<string, unknown>> } }>)
      .flatMap((m) => m.message.events ?? [])
      .filter((e) => e.type === 'leak.checked');
    assert.ok(checks.length > 0 && checks.every((e) => 'outgoing' in e));
    const outgoing = checks[0]!.outgoing as { fresh: Array<Record<string, unknown>> };
    outgoing.fresh[0]!.status = 'two hundred';
    assert.match(parse(d), /^message \d+: events: events\[\d+\]\.outgoing\.fresh\[0\]\.status: leak\.checked: /);
    for (const check of checks) delete check.outgoing;
    const old = parseRecordingText(JSON.stringify(d), EXPORTED);
    assert.ok(old.ok, old.ok ? '' : old.error);
  });

  it('opens a JSON-lines event file (poolscope serve --events) from an empty dashboard', () => {
    const text = readFileSync(new URL('../model/fixtures/counter-reuse3.jsonl', import.meta.url), 'utf8');
    const result = parseRecordingText(text, EXPORTED);
    assert.ok(result.ok, result.ok ? '' : result.error);
    assert.equal(result.source, 'json-lines');
    const events = loadFixture('counter-reuse3.jsonl');
    const { recording } = result;
    assert.equal(recording.eventCount, events.length);
    assert.equal(recording.startT, events[0]!.t);
    assert.equal(recording.endT, events.at(-1)!.t);
    assert.equal(recording.exportedAt, EXPORTED);
    assert.deepEqual(
      recording.messages.flatMap((e) => ('message' in e && e.message.kind === 'events' ? e.message.events : [])),
      events,
      'every event, in order',
    );
    for (const e of recording.messages) {
      assert.ok('message' in e && e.message.kind === 'events');
      const batch = e.message.events;
      assert.ok(batch.at(-1)!.t - batch[0]!.t < 50, 'batched as the bridge batches: within 50 ms');
    }
    // The same as applying the batches to an empty dashboard.
    let expected = initialData;
    for (const e of recording.messages) if ('message' in e) expected = applyServerMessage(expected, e.message, e.t);
    const end = new Replayer(recording).seek(recording.endT);
    assert.deepEqual(end.instances, expected.instances);
    assert.equal(end.instances.retiredTotal, 2);
    assert.equal(end.log.total, events.length);
  });

  it('rejects a broken JSON-lines file by line', () => {
    const lines = readFileSync(new URL('../model/fixtures/trap.jsonl', import.meta.url), 'utf8').split('\n');
    assert.equal(
      parse([lines[0], lines[1], '{"type":'].join('\n')),
      'line 3: not JSON (a JSON-lines event file has one event per line)',
    );
    assert.equal(
      parse([lines[0], '{"type":"x","t":"1","seq":1}'].join('\n')),
      'line 2: not a Poolscope event (needs a string "type" and numeric "t" and "seq")',
    );
    assert.match(parse([lines[1], lines[0]].join('\n')), /^line 2: t goes backwards/);
    const fetch = readFileSync(new URL('../model/fixtures/fetch-outgoing.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n');
    const at = fetch.findIndex((line) => line.includes('"request.outgoing"'));
    const broken = { ...(JSON.parse(fetch[at]!) as Record<string, unknown>), status: 'ok' };
    assert.match(
      parse([...fetch.slice(0, at), JSON.stringify(broken)].join('\n')),
      new RegExp(`^line ${at + 1}: status: request\\.outgoing: `),
    );
    assert.ok(parseRecordingText(fetch.join('\n'), EXPORTED).ok, 'the recorded stream itself loads');
  });
});
