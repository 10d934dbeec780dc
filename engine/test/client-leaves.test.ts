/**
 * A client that closes its connection the moment it has a whole content-length body, before the
 * guest's body end has reached the pool (a race ARCHITECTURE.md's "Deviations" listed until it was
 * fixed). The front door, the pool and the sockets are real; the instance is a fake (engine/pool/fakes.ts)
 * standing in for an executor thread, because only then can the test hold the guest's `end`
 * back until the client has left, every time, instead of hoping a real guest is slow enough.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { EventBus } from '../events/event-bus.ts';
import type { PoolEvent } from '../../protocol/index.ts';
import { FakeInstanceHost } from '../pool/fakes.ts';
import { ProxyHandler } from '../pool/proxy-handler.ts';
import { startHttpServer } from '../server/http-server.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function nextEvent(bus: EventBus, matches: (event: PoolEvent) => boolean): Promise<PoolEvent> {
  return new Promise((resolve) => {
    const stop = bus.subscribe((event) => {
      if (!matches(event)) return;
      stop();
      resolve(event);
    });
  });
}

/** Sends a `Connection: close` GET and closes the socket once `bodyBytes` of body have arrived. */
function getAndLeaveAfter(url: string, bodyBytes: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname, () =>
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd >= 0 && received.length - headEnd - 4 >= bodyBytes) {
        socket.destroy();
        resolve(received.slice(headEnd + 4));
      }
    });
    socket.on('error', reject);
  });
}

async function servedByFake(t: TestContext) {
  const bus = new EventBus();
  const host = new FakeInstanceHost();
  const pool = new ProxyHandler({ world: 'wasip2', instances: host, bus, knobs: { maxInstanceReuseCount: 10 } });
  const frontDoor = await startHttpServer(pool, { host: '127.0.0.1', port: 0 });
  t.after(async () => {
    pool.terminate();
    await frontDoor.close();
  });
  return { bus, host, pool, frontDoor };
}

/**
 * A GET through the front door whose client leaves after `leaveAfter` body bytes, answered by a
 * guest declaring content-length 5 and sending `sent`; the guest's end is left to the test.
 */
async function answerDeclaringFive(t: TestContext, leaveAfter: number, sent: string) {
  const { bus, host, pool, frontDoor } = await servedByFake(t);
  const accepted = nextEvent(bus, (e) => e.type === 'request.accepted');
  const body = getAndLeaveAfter(frontDoor.url, leaveAfter);
  await nextEvent(bus, (e) => e.type === 'worker.spawned');
  const instance = host.instance(0);
  instance.instantiated();
  await accepted;
  const outcome = nextEvent(bus, (e) => e.type === 'request.completed' || e.type === 'request.failed');
  instance.say({ type: 'head', requestId: 0, status: 200, headers: [['content-length', bytes('5')]] });
  instance.say({ type: 'chunk', requestId: 0, bytes: bytes(sent) });
  return { bus, pool, instance, body, outcome };
}

test('a client that closes right after a whole content-length body got a complete response, and the instance is reused', async (t) => {
  const { bus, pool, instance, body, outcome } = await answerDeclaringFive(t, 5, 'hello');
  assert.equal(await body, 'hello');
  assert.equal((await outcome).type, 'request.completed');
  // Only now does the guest's end arrive.
  const idle = nextEvent(bus, (e) => e.type === 'worker.status' && e.status === 'Idle');
  instance.say({ type: 'end', requestId: 0 });
  instance.say({ type: 'returned', requestId: 0, memoryBytes: 65536 });
  await idle;
  assert.equal(pool.gauges().availableWorkers, 1);
});

test('a client that closes before the last declared byte is recorded as gone', async (t) => {
  const { body, outcome } = await answerDeclaringFive(t, 3, 'hel');
  assert.equal(await body, 'hel');
  const event = await outcome;
  assert.ok(event.type === 'request.failed' && event.kind === 'client-gone');
});
