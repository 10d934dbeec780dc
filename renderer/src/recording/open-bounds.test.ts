/**
 * An opened file is hostile: however many events it holds, the dashboard keeps at most
 * `MAX_OPENED_EVENTS` of them (the recorder's own bound), on real recorded engine streams.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MAX_RECORDED_EVENTS } from './recorder.ts';
import { HISTORY_MAX_BYTES, HISTORY_MAX_EVENTS } from '../../../protocol/index.ts';
import { MAX_OPENED_EVENTS, parseRecordingText, toJson } from './format.ts';
import { liveSession, sessionMessages } from './test-streams.ts';

const EXPORTED = '2026-11-25T10:00:00.000Z';
/** `serve demo:counter --max-instance-reuse-count 3`, `--events` (model/fixtures/README.md). */
const EVENTS_TEXT = readFileSync(new URL('../model/fixtures/counter-reuse3.jsonl', import.meta.url), 'utf8');
const EVENT_LINES = EVENTS_TEXT.split('\n').filter((l) => l.trim() !== '');

describe('opened files are bounded', () => {
  it('opens every recording this dashboard can export', () => {
    assert.equal(MAX_OPENED_EVENTS, MAX_RECORDED_EVENTS);
  });

  it('keeps the first events of a longer event file and says it was cut', () => {
    const bound = EVENT_LINES.length - 5;
    const result = parseRecordingText(EVENTS_TEXT, EXPORTED, bound);
    assert.ok(result.ok);
    assert.equal(result.recording.eventCount, bound);
    assert.equal(result.recording.truncated, true);
    const kept = result.recording.messages.flatMap((m) =>
      'message' in m && m.message.kind === 'events' ? m.message.events : [],
    );
    assert.deepEqual(
      kept.map((e) => e.seq),
      EVENT_LINES.slice(0, bound).map((l) => (JSON.parse(l) as { seq: number }).seq),
    );
    assert.equal(result.recording.endT, kept.at(-1)?.t);
  });

  it('opens an event file of exactly the bound whole', () => {
    const result = parseRecordingText(EVENTS_TEXT, EXPORTED, EVENT_LINES.length);
    assert.ok(result.ok);
    assert.equal(result.recording.eventCount, EVENT_LINES.length);
    assert.equal(result.recording.truncated, false);
  });

  it('refuses a recording document holding more events than the bound', () => {
    const { recorder } = liveSession(sessionMessages('counter-reuse3.jsonl'));
    const recording = recorder.toRecording({ component: null, knobs: null }, new Date(EXPORTED));
    assert.ok(recording);
    const text = toJson(recording);
    const refused = parseRecordingText(text, EXPORTED, recording.eventCount - 1);
    assert.equal(refused.ok, false);
    assert.match((refused as { error: string }).error, /holds \d+ events; the dashboard opens at most/);
    assert.ok(parseRecordingText(text, EXPORTED, recording.eventCount).ok);
  });

  it("refuses a snapshot whose history holds more events than the engine's ring ever keeps", () => {
    const { recorder } = liveSession(sessionMessages('counter-reuse3.jsonl'));
    const recording = recorder.toRecording({ component: null, knobs: null }, new Date(EXPORTED));
    assert.ok(recording);
    const doc = JSON.parse(toJson(recording)) as {
      eventCount: number;
      messages: Array<{ message?: { kind: string; snapshot?: object } }>;
    };
    const snapshot = doc.messages.find((m) => m.message?.kind === 'snapshot')?.message?.snapshot;
    assert.ok(snapshot, 'the recording starts from a snapshot');
    const event = JSON.parse(EVENT_LINES[0] ?? 'null') as object;
    const history = { dropped: 0, maxEvents: HISTORY_MAX_EVENTS, maxBytes: HISTORY_MAX_BYTES, before: null };
    Object.assign(snapshot, { history: { ...history, events: Array(HISTORY_MAX_EVENTS + 1).fill(event) } });
    const refused = parseRecordingText(JSON.stringify(doc), EXPORTED);
    assert.equal(refused.ok, false);
    assert.match((refused as { error: string }).error, /history/);
    Object.assign(snapshot, { history: { ...history, events: [event] } });
    doc.eventCount += 1; // the history's event is counted as the recording's
    assert.ok(parseRecordingText(JSON.stringify(doc), EXPORTED).ok, 'within the bound it opens');
  });
});
