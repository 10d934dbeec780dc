import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent } from '../../../protocol/index.ts';
import { DEFAULT_LOG_FILTER, filterEvents } from './log.ts';
import { failureStatus, matchingRequestIds } from './request-match.ts';
import { loadFixture } from './test-support.ts';

describe('requests matched by outcome', () => {
  it('finds requests by the status their client got: a head, or the front door answering a failure', () => {
    // demo:spin with a 200 ms request timeout: requests 0 and 2 answered 200, request 1 timed out (500).
    const events = loadFixture('spin-timeout.jsonl');
    assert.deepEqual([...matchingRequestIds(events, { kind: 'status', status: 200 })].sort(), [0, 2]);
    assert.deepEqual([...matchingRequestIds(events, { kind: 'status', status: 500 })], [1]);
    assert.deepEqual([...matchingRequestIds(events, { kind: 'failure', failure: 'timeout' })], [1]);
    assert.equal(matchingRequestIds(events, { kind: 'status', status: 404 }).size, 0);
  });

  it('the log filter keeps every event of the matching requests, and only those', () => {
    const events = loadFixture('trap.jsonl');
    const shown = filterEvents(events, { ...DEFAULT_LOG_FILTER, requests: { kind: 'status', status: 500 } });
    assert.ok(shown.length > 0);
    assert.ok(shown.every((e) => 'requestId' in e && (e.requestId === 0 || e.requestId === 1)));
    assert.deepEqual(
      shown.filter((e) => 'requestId' in e && e.requestId === 0).map((e) => e.type),
      events.filter((e) => 'requestId' in e && e.requestId === 0).map((e) => e.type),
    );
    const none = filterEvents(events, { ...DEFAULT_LOG_FILTER, requests: { kind: 'failure', failure: 'client-gone' } });
    assert.deepEqual(none, []);
  });

  it('a request that failed after its head went out counts by its head', () => {
    const events: PoolEvent[] = [
      { type: 'request.responded', t: 1, seq: 1, requestId: 7, instanceId: 0, status: 200, latencyMs: 1 },
      {
        type: 'request.failed',
        t: 2,
        seq: 2,
        requestId: 7,
        instanceId: 0,
        kind: 'trap',
        message: 'trap after head',
        latencyMs: 2,
      },
      {
        type: 'request.failed',
        t: 3,
        seq: 3,
        requestId: 8,
        instanceId: null,
        kind: 'client-gone',
        message: 'the client went away (it was still waiting in the queue)',
        latencyMs: 3,
      },
    ];
    assert.deepEqual([...matchingRequestIds(events, { kind: 'status', status: 200 })], [7]);
    assert.equal(matchingRequestIds(events, { kind: 'status', status: 500 }).size, 0);
    assert.deepEqual([...matchingRequestIds(events, { kind: 'failure', failure: 'client-gone' })], [8]);
    assert.equal(failureStatus('client-gone'), null);
    assert.equal(failureStatus('shutdown'), 503);
  });
});
