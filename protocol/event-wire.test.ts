/** The packed form of event batches on the WebSocket: lossless, smaller, and strict about what it reads. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { PoolEvent, ServerMessage } from './index.ts';
import {
  fromWire,
  packedEventsMessageSchema,
  packedEventsSchema,
  packEvents,
  toWire,
  unpackEvents,
  type PackedEvents,
} from './event-wire.ts';

/** The recorded engine streams the dashboard's reducers are tested on (every kind of event the pool emits). */
const FIXTURES = new URL('../renderer/src/model/fixtures/', import.meta.url);
const streams = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.jsonl'))
  .map((name) => ({
    name,
    events: readFileSync(new URL(name, FIXTURES), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as PoolEvent),
  }));

test('every recorded stream comes through the wire as it went in, key order included, in fewer bytes', () => {
  const types = new Set<string>();
  let plainBytes = 0;
  let packedBytes = 0;
  for (const { name, events } of streams) {
    const gauges = { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0 };
    const message: ServerMessage = { kind: 'events', events, gauges, dropped: 3 };
    const plain = JSON.stringify(message);
    const wire = JSON.stringify(toWire(message));
    assert.ok(
      packedEventsMessageSchema.safeParse(JSON.parse(wire)).success,
      `${name}: the packed message fits its schema`,
    );
    const back = fromWire(JSON.parse(wire));
    assert.deepEqual(back, JSON.parse(plain), name);
    assert.equal(JSON.stringify(back), plain, `${name}: the same JSON, key order included`);
    for (const e of events) types.add(e.type);
    plainBytes += plain.length;
    packedBytes += wire.length;
  }
  assert.ok(types.size >= 15, `the fixtures hold ${types.size} kinds of event`);
  assert.ok(packedBytes < plainBytes * 0.6, `packed ${packedBytes} bytes against ${plainBytes} as objects`);
});

test('a key whose value is undefined is left out, as JSON leaves it out of an object; other messages pass as they are', () => {
  const event = { type: 'request.received', requestId: 1, method: 'GET', uri: '/', t: 0, seq: 0, extra: undefined };
  const packed = packEvents([event as unknown as PoolEvent]);
  assert.deepEqual(packed.shapes, [['request.received', 'requestId', 'method', 'uri', 't', 'seq']]);
  assert.deepEqual(unpackEvents(packed), [
    { type: 'request.received', requestId: 1, method: 'GET', uri: '/', t: 0, seq: 0 },
  ]);
  const reply: ServerMessage = { kind: 'reply', id: 1, ok: false, error: 'nope' };
  assert.equal(toWire(reply), reply);
  assert.equal(fromWire(reply), reply);
});

test('a packed batch that does not fit its shapes is refused, saying where', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ shapes: 'x', rows: [] }, /shapes and rows must be arrays/],
    [{ shapes: [], rows: [[0, 1]] }, /row 0 does not fit its shape/],
    [{ shapes: [['request.received', 'requestId']], rows: [[0, 1], [0]] }, /row 1 does not fit its shape/],
    [{ shapes: [['request.received', 'requestId']], rows: [null] }, /row 0 does not fit its shape/],
    [{ shapes: [['request.received', 'requestId']], rows: [['0', 1]] }, /row 0 does not fit its shape/],
    // A key that would replace the event's prototype, a key that is not a string, an empty shape.
    [{ shapes: [['request.received', '__proto__']], rows: [[0, null]] }, /shape 0 is not a type and keys/],
    [{ shapes: [['ok'], ['request.received', 7]], rows: [] }, /shape 1 is not a type and keys/],
    [{ shapes: [[]], rows: [] }, /shape 0 is not a type and keys/],
    [{ shapes: [{ length: 2 }], rows: [] }, /shape 0 is not a type and keys/],
  ];
  for (const [packed, error] of bad) {
    assert.throws(() => unpackEvents(packed as PackedEvents), error);
    // The schema, which documents the form, refuses the same.
    assert.equal(packedEventsSchema.safeParse(packed).success, false, JSON.stringify(packed));
  }
});
