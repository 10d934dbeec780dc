/** The bound on an outgoing record's texts (types.ts `boundRecordText`, `boundRecord`). */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundRecord, boundRecordText, RECORD_TEXT_MAX, type OutgoingRecord } from './types.ts';

test('boundRecordText: short texts as they are; long ones cut within the bound, ending in a marker with the count cut', () => {
  assert.equal(boundRecordText('/x?y=1'), '/x?y=1');
  const exact = 'a'.repeat(RECORD_TEXT_MAX);
  assert.equal(boundRecordText(exact), exact);
  for (const length of [RECORD_TEXT_MAX + 1, 10_000, 50_000_000]) {
    const cut = boundRecordText('b'.repeat(length));
    assert.ok(cut.length <= RECORD_TEXT_MAX, `${length}: ${cut.length}`);
    const match = /^(b+)…\[(\d+) more characters\]$/.exec(cut);
    assert.ok(match, cut.slice(-40));
    assert.equal((match[1] as string).length + Number(match[2]), length, 'the marker says how much was cut');
  }
  // Never half a surrogate pair.
  const emoji = boundRecordText('😀'.repeat(RECORD_TEXT_MAX));
  const kept = emoji.slice(0, emoji.indexOf('…'));
  assert.equal(kept.length % 2, 0);
  assert.ok(emoji.length <= RECORD_TEXT_MAX);
});

test('boundRecord: every text of a record bounded, the numbers kept', () => {
  const long = 'z'.repeat(100_000);
  const record: OutgoingRecord = {
    method: long,
    scheme: long,
    authority: long,
    path: long,
    status: null,
    durationMs: 1,
    outcome: 'failed',
    error: { tag: long, detail: long },
    requestBytes: 2,
    responseBytes: 3,
  };
  const bounded = boundRecord(record);
  for (const text of [
    bounded.method,
    bounded.scheme,
    bounded.authority,
    bounded.path,
    bounded.error?.tag,
    bounded.error?.detail,
  ]) {
    assert.ok(typeof text === 'string' && text.length <= RECORD_TEXT_MAX);
  }
  assert.deepEqual(
    [bounded.status, bounded.durationMs, bounded.outcome, bounded.requestBytes, bounded.responseBytes],
    [null, 1, 'failed', 2, 3],
  );
  assert.equal(boundRecord({ ...record, error: null }).error, null);
});
