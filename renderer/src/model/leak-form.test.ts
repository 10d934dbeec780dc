import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LEAK_DETECTION } from '../../../protocol/index.ts';
import { IGNORED_HEADERS, MAX_REPLAYS, REPLAY_RATE, SAMPLE_RATE } from './leak-form.ts';

const current = DEFAULT_LEAK_DETECTION;

describe('leak-detection form', () => {
  it("sample rate: a fraction or a percentage; out of range gets the engine's message", () => {
    assert.deepEqual(SAMPLE_RATE.parse('0.25', current), {
      ok: true,
      patch: { sampleRate: 0.25 },
      settings: { ...current, sampleRate: 0.25 },
    });
    const percent = SAMPLE_RATE.parse(' 10% ', current);
    assert.ok(percent.ok && percent.patch.sampleRate === 0.1);
    assert.deepEqual(SAMPLE_RATE.parse('2', current), {
      ok: false,
      error: 'sample rate must be at most 1 (1 replays every reused answer)',
    });
    assert.deepEqual(SAMPLE_RATE.parse('0', current), {
      ok: false,
      error: 'sample rate must be greater than 0 (use mode off to replay nothing)',
    });
    assert.equal(SAMPLE_RATE.parse('', current).ok, false);
    assert.equal(SAMPLE_RATE.parse('abc', current).ok, false);
    assert.equal(SAMPLE_RATE.format(current), '0.1');
  });

  it('ignored headers: a comma list, trimmed and lower-cased as the engine does; not a header name is refused', () => {
    const parsed = IGNORED_HEADERS.parse('Date, X-Request-Id ,, etag', current);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.patch, { ignoredHeaders: ['date', 'x-request-id', 'etag'] });
    const none = IGNORED_HEADERS.parse('', current);
    assert.ok(none.ok);
    assert.deepEqual(none.patch, { ignoredHeaders: [] });
    assert.deepEqual(IGNORED_HEADERS.parse('date, not a header', current), {
      ok: false,
      error: 'ignored headers must be header names',
    });
    assert.equal(IGNORED_HEADERS.format({ ...current, ignoredHeaders: ['date', 'etag'] }), 'date, etag');
  });

  it('max replays: a whole number from 1 to 16', () => {
    assert.ok(MAX_REPLAYS.parse('4', current).ok);
    assert.deepEqual(MAX_REPLAYS.parse('0', current), {
      ok: false,
      error: 'max concurrent replays must be at least 1',
    });
    assert.deepEqual(MAX_REPLAYS.parse('1.5', current), {
      ok: false,
      error: 'max concurrent replays must be a whole number',
    });
    assert.deepEqual(REPLAY_RATE.parse('2.5', current).ok && REPLAY_RATE.parse('2.5', current), {
      ok: true,
      patch: { maxReplaysPerSecond: 2.5 },
      settings: { ...current, maxReplaysPerSecond: 2.5 },
    });
    assert.deepEqual(REPLAY_RATE.parse('0', current), {
      ok: false,
      error: 'max replays per second must be greater than 0 (use mode off to replay nothing)',
    });
  });
});
