/** `judgeReplay`: which verdict a reused outcome and a fresh outcome of the same request make. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from '../leaks/compare.ts';
import { judgeReplay } from '../leaks/verdict.ts';

const answer = (status: number, body: string): { kind: 'answered'; answer: Answer } => ({
  kind: 'answered',
  answer: { status, headers: {}, body: Buffer.from(body) },
});
const MAX = 1024;

test('a guest-sent 5xx on reuse against a 2xx on a fresh instance is failed-on-reuse, with the differences', () => {
  assert.deepEqual(judgeReplay(answer(503, 'broken'), answer(200, 'ok'), [], MAX), {
    verdict: 'failed-on-reuse',
    differences: [
      'status: 503 on the reused instance, 200 on a fresh one',
      'body: "broken" on the reused instance, "ok" on a fresh one',
    ],
    message: 'answered 503',
  });
});

test('a body cut off on reuse against a fresh answer is failed-on-reuse', () => {
  const judged = judgeReplay(
    { kind: 'aborted', message: 'guest returned without finishing the response body' },
    answer(200, 'ok'),
    [],
    MAX,
  );
  assert.equal(judged.verdict, 'failed-on-reuse');
  assert.equal(judged.message, 'cut off: guest returned without finishing the response body');
});

test('failing both ways is the same; a fresh failure where the reused instance answered is an error; differing answers are a leak', () => {
  assert.equal(
    judgeReplay({ kind: 'failed', failure: 'trap', message: 'x' }, answer(500, 'x'), [], MAX).verdict,
    'same',
  );
  assert.equal(
    judgeReplay(
      { kind: 'failed', failure: 'timeout', message: 'x' },
      { kind: 'failed', failure: 'timeout', message: 'x' },
      [],
      MAX,
    ).verdict,
    'same',
  );
  assert.deepEqual(judgeReplay(answer(200, 'ok'), { kind: 'failed', failure: 'trap', message: 'boom' }, [], MAX), {
    verdict: 'error',
    differences: [],
    message: 'the fresh instance did not answer (trap): boom',
  });
  assert.equal(judgeReplay(answer(200, 'count=2'), answer(200, 'count=1'), [], MAX).verdict, 'leak');
  assert.equal(judgeReplay(answer(200, 'ok'), answer(200, 'ok'), [], MAX).verdict, 'same');
});
