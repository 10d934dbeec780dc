import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedSpan, parseDifference, summarizeDifference } from './leak-diff.ts';

describe('leak difference lines', () => {
  it("reads status, header and body lines in the engine's shape", () => {
    assert.deepEqual(parseDifference('status: 500 on the reused instance, 200 on a fresh one'), {
      what: 'status',
      reused: { text: '500', quoted: false },
      fresh: { text: '200', quoted: false },
    });
    assert.deepEqual(parseDifference('header x-cache: "hit" on the reused instance, (absent) on a fresh one'), {
      what: 'header x-cache',
      reused: { text: 'hit', quoted: true },
      fresh: { text: '(absent)', quoted: false },
    });
    assert.deepEqual(parseDifference('body: "a\\nb \\"q\\"" on the reused instance, "" on a fresh one'), {
      what: 'body',
      reused: { text: 'a\nb "q"', quoted: true },
      fresh: { text: '', quoted: true },
    });
  });

  it('a body that contains the phrases themselves is still split at the right place', () => {
    const tricky = 'x on the reused instance, y on a fresh one';
    const line = `body: ${JSON.stringify(tricky)} on the reused instance, ${JSON.stringify('z')} on a fresh one`;
    assert.deepEqual(parseDifference(line), {
      what: 'body',
      reused: { text: tricky, quoted: true },
      fresh: { text: 'z', quoted: true },
    });
  });

  it('anything else is not parsed (the view shows the line as is)', () => {
    assert.equal(parseDifference('something changed'), null);
    assert.equal(parseDifference('body: "open on the reused instance, "x" on a fresh one'), null);
    assert.equal(parseDifference('body: "a" on the reused instance, "b" on a fresh one, and more'), null);
  });

  it('finds the differing middle of two values', () => {
    assert.deepEqual(changedSpan('count=2', 'count=1'), { prefix: 'count=', a: '2', b: '1', suffix: '' });
    assert.deepEqual(changedSpan('count=12;', 'count=1;'), { prefix: 'count=1', a: '2', b: '', suffix: ';' });
    assert.deepEqual(changedSpan('same', 'same'), { prefix: 'same', a: '', b: '', suffix: '' });
    assert.deepEqual(changedSpan('a😀', 'a😁'), { prefix: 'a', a: '😀', b: '😁', suffix: '' });
  });

  it('summarizes a difference in one line', () => {
    assert.equal(
      summarizeDifference('body: "count=2" on the reused instance, "count=1" on a fresh one'),
      'body: "count=2" ≠ "count=1"',
    );
    assert.equal(summarizeDifference('status: 500 on the reused instance, 200 on a fresh one'), 'status: 500 ≠ 200');
    assert.equal(summarizeDifference('odd line'), 'odd line');
    assert.equal(summarizeDifference(undefined), '');
  });
});
