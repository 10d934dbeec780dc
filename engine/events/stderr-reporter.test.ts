/** What stderr says about outgoing requests: nothing for successes, a failure once per instance and error-code a second. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from './event-bus.ts';
import type { OutgoingCall } from '../../protocol/index.ts';
import { reportToStderr } from './stderr-reporter.ts';

const ok: OutgoingCall = {
  method: 'GET',
  scheme: 'http',
  authority: 'upstream.test',
  path: '/a?b=1',
  status: 200,
  durationMs: 3,
  outcome: 'complete',
  error: null,
  requestBytes: 0,
  responseBytes: 10,
};
const failed = (tag: string, detail: string | null): OutgoingCall => ({
  ...ok,
  status: null,
  outcome: 'failed',
  error: { tag, detail },
});

test('outgoing requests on stderr: successes and let-go ones print nothing, failures print once per instance and error-code, repeats summarised', () => {
  const bus = new EventBus();
  const lines: string[] = [];
  const stop = reportToStderr(bus, { loggingPrefix: true, write: (line) => lines.push(line) });
  const outgoing = (instanceId: number, requestId: number | null, call: OutgoingCall): void =>
    bus.emit({ type: 'request.outgoing', instanceId, requestId, ...call });

  outgoing(1, 4, ok);
  outgoing(1, 4, { ...ok, status: 503 });
  outgoing(1, 4, { ...ok, outcome: 'dropped', status: null });
  assert.deepEqual(lines, []);

  outgoing(1, 5, failed('connection-refused', 'ECONNREFUSED 127.0.0.1:9'));
  outgoing(1, 6, failed('connection-refused', 'ECONNREFUSED 127.0.0.1:9'));
  outgoing(1, 7, { ...failed('connection-refused', 'ECONNREFUSED 127.0.0.1:10'), path: '/elsewhere' });
  outgoing(2, null, failed('connection-refused', 'ECONNREFUSED 127.0.0.1:9'));
  outgoing(1, 8, failed('DNS-error', null));
  // The instance already printed its own line about the flag.
  outgoing(
    1,
    9,
    failed(
      'HTTP-request-denied',
      'outgoing HTTP is denied (start with --allow-http to allow it): GET http://upstream.test/a?b=1',
    ),
  );
  assert.deepEqual(lines, [
    'outgoing request failed: GET http://upstream.test/a?b=1: connection-refused (ECONNREFUSED 127.0.0.1:9) (instance 1, request 5)',
    'outgoing request failed: GET http://upstream.test/a?b=1: connection-refused (ECONNREFUSED 127.0.0.1:9) (instance 2)',
    'outgoing request failed: GET http://upstream.test/a?b=1: DNS-error (instance 1, request 8)',
  ]);

  // Stopping prints what the second's summary would have said.
  stop();
  assert.deepEqual(lines.slice(3), [
    'outgoing request failed: GET http://upstream.test/a?b=1: connection-refused (ECONNREFUSED 127.0.0.1:9) (instance 1, request 5) (and 2 more like it in the last 1 s)',
  ]);
  outgoing(1, 10, failed('connection-refused', null));
  assert.equal(lines.length, 4, 'unsubscribed');
});
