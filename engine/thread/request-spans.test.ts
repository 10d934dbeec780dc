/** Which guest request made an outgoing request, from when each was in flight (a clock the test moves). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestSpans } from './request-spans.ts';

function setup() {
  const clock = { now: 0 };
  return { clock, spans: new RequestSpans(() => clock.now) };
}

test('one request at a time (WASIp2): the one in flight when the outgoing request began, even if it is reported later', () => {
  const { clock, spans } = setup();
  spans.begin(1);
  clock.now = 10;
  // A refusal: reported at once.
  assert.equal(spans.attribute(0), 1);
  clock.now = 20;
  spans.end(1);
  clock.now = 30;
  spans.begin(2);
  clock.now = 50;
  // Began at 12, during request 1; reported while request 2 runs (a request let go of at disposal).
  assert.equal(spans.attribute(38), 1);
  // Began at 35, during request 2.
  assert.equal(spans.attribute(15), 2);
  // Began at 25, between the two: none.
  assert.equal(spans.attribute(25), null);
});

test('overlapping requests (WASIp3): named only when exactly one was in flight', () => {
  const { clock, spans } = setup();
  spans.begin(1);
  clock.now = 10;
  spans.begin(2);
  clock.now = 20;
  assert.equal(spans.attribute(0), null);
  assert.equal(spans.attribute(15), 1);
  spans.end(1);
  clock.now = 30;
  assert.equal(spans.attribute(0), 2);
  spans.end(2);
  clock.now = 40;
  assert.equal(spans.attribute(0), null);
});

test('only the last finished requests are remembered', () => {
  const { clock, spans } = setup();
  for (let id = 0; id < 100; id++) {
    spans.begin(id);
    clock.now += 10;
    spans.end(id);
    clock.now += 10;
  }
  // Request 0 ran from 0 to 10: forgotten. Request 99 ran from 1980 to 1990.
  assert.equal(spans.attribute(clock.now - 5), null);
  assert.equal(spans.attribute(clock.now - 1985), 99);
});
