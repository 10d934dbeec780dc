/** Bursts of alike stderr lines collapse into one summary; a parked pool's lines too, counted apart. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summariseRepeats } from './repeat-summary.ts';

test("alike error lines collapse, a parked pool's ([parked]) apart from the shown pool's; guest output never", () => {
  const lines: string[] = [];
  // A window no test outlasts: the summaries come from flush(), not from a timer.
  const summary = summariseRepeats((line) => lines.push(line), 3_600_000);
  for (let id = 1; id <= 5; id++) {
    summary.write(`error: the client hung up (request ${id}, instance 0)`);
    summary.write(`[parked] error: the client hung up (request ${id}, instance 0)`);
    summary.write(`[parked] stdout [0] :: line ${id}`);
  }
  summary.flush();
  assert.deepEqual(lines, [
    'error: the client hung up (request 1, instance 0)',
    '[parked] error: the client hung up (request 1, instance 0)',
    '[parked] stdout [0] :: line 1',
    '[parked] stdout [0] :: line 2',
    '[parked] stdout [0] :: line 3',
    '[parked] stdout [0] :: line 4',
    '[parked] stdout [0] :: line 5',
    'error: the client hung up (request 1, instance 0) (and 4 more like it in the last 3600 s)',
    '[parked] error: the client hung up (request 1, instance 0) (and 4 more like it in the last 3600 s)',
  ]);
});
