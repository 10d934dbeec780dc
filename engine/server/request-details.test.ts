/**
 * The request detail store: against the real engine over loopback (headers, sizes, guest output,
 * phases, the `requestDetail` command of a real session), and its bounds, fed by a real bus with
 * the events a pool emits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import { EventBus } from '../events/event-bus.ts';
import type { PoolRequest, Responder } from '../pool/request.ts';
import { detailNotKept, REQUEST_DETAIL_LIMITS, type RequestDetail } from '../../protocol/index.ts';
import { send } from '../test/support/http-client.ts';
import { serveForTest } from '../test/support/serve.ts';
import { RequestDetails } from './request-details.ts';

function keptDetail(details: RequestDetails, requestId: number): RequestDetail {
  const reply = details.get(requestId);
  assert.ok(reply.kept, `request ${requestId} is kept`);
  return reply.detail;
}

test('a served request keeps its headers, sizes, the guest output written during it and its phases in order', {
  timeout: 120_000,
}, async () => {
  const server = await serveForTest('demo:print', { maxInstanceReuseCount: 10 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const probe of ['first', 'second']) {
      const answer = await send(server.url('/story?x=1'), {
        method: 'POST',
        body: 'twelve bytes',
        agent,
        headers: { 'X-Poolscope-Probe': probe },
      });
      assert.equal(answer.status, 200);
    }
    // The instance is available again after the second request (or exits): the last phase.
    const done = await server.waitFor((e) => e.type === 'request.completed' && e.requestId === 1);
    await server.waitFor((e) => (e.type === 'worker.available' || e.type === 'worker.exit') && e.t >= done.t);

    const first = keptDetail(server.details, 0);
    const second = keptDetail(server.details, 1);
    assert.equal(first.method, 'POST');
    assert.equal(first.uri, '/story?x=1');
    assert.deepEqual(
      first.requestHeaders?.fields.filter(([name]) => name === 'x-poolscope-probe'),
      [['x-poolscope-probe', 'first']],
    );
    assert.deepEqual(
      second.requestHeaders?.fields.filter(([name]) => name === 'x-poolscope-probe'),
      [['x-poolscope-probe', 'second']],
    );
    assert.equal(first.requestBodyBytes, 12);
    assert.equal(first.response?.status, 200);
    assert.equal(first.responseBodyBytes, 0, 'demo:print answers with no body');

    // Each request has the lines written while it ran, and only those: print writes the same ones each time.
    for (const d of [first, second]) {
      assert.ok(
        d.output.some((o) => o.stream === 'stderr' && o.line === 'start a print 1234'),
        JSON.stringify(d.output),
      );
      assert.equal(d.output.filter((o) => o.stream === 'stdout' && o.line === 'after empty').length, 1);
    }

    // The first request started its instance; the second reused it.
    const p = first.phases;
    assert.equal(p.dispatchMode, 'spawn-direct');
    assert.equal(p.reuseIndex, 1);
    const order = [p.receivedAt, p.dispatchedAt, p.spawnedAt, p.instantiatedAt, p.acceptedAt, p.respondedAt, p.endedAt];
    assert.ok(
      order.every((t) => t !== null),
      JSON.stringify(p),
    );
    assert.deepEqual(
      order,
      [...order].sort((a, b) => (a ?? 0) - (b ?? 0)),
      'phases in order',
    );
    assert.ok(p.availableAt !== null && p.endedAt !== null && p.availableAt >= p.endedAt, 'available after its end');
    const q = second.phases;
    assert.equal(q.instanceId, p.instanceId);
    assert.equal(q.reuseIndex, 2);
    assert.equal(q.spawnedAt, null, 'no instance started for a reused one');
    assert.ok(q.availableAt !== null || q.instanceExit !== null, JSON.stringify(q));
  } finally {
    agent.destroy();
    await server.close();
  }
});

test('headers past the bound are counted, not kept; a refused request has its failure and no headers', {
  timeout: 120_000,
}, async () => {
  const server = await serveForTest('demo:hello', { maxRequestBodyBytes: 16 });
  try {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 150; i++) headers[`x-h-${i}`] = 'v';
    assert.equal((await send(server.url('/'), { headers })).status, 200);
    await server.waitFor((e) => e.type === 'request.completed');
    const kept = keptDetail(server.details, 0).requestHeaders;
    assert.ok(kept);
    assert.equal(kept.fields.length, REQUEST_DETAIL_LIMITS.headerFields);
    // Node adds host and connection: every field the guest saw is either kept or counted.
    assert.equal(kept.fields.length + kept.omitted, 150 + 2);

    assert.equal((await send(server.url('/big'), { method: 'POST', body: 'x'.repeat(100) })).status, 413);
    await server.waitFor((e) => e.type === 'request.failed' && e.requestId === 1);
    const refused = keptDetail(server.details, 1);
    assert.equal(refused.failure?.kind, 'refused');
    assert.equal(refused.requestHeaders, null, 'it never reached the pool');
    assert.deepEqual([refused.phases.acceptedAt, refused.phases.instanceId], [null, null]);
    assert.ok(refused.phases.endedAt !== null && refused.phases.endedAt >= refused.phases.receivedAt);
  } finally {
    await server.close();
  }
});

test('the requestDetail command of a session answers for its current pool, and says when it cannot', {
  timeout: 120_000,
}, async () => {
  const session = new DashboardSession({ component: null, listen: { host: '127.0.0.1', port: 0 } });
  try {
    const idle = await session.execute({ type: 'requestDetail', requestId: 0 });
    assert.deepEqual(idle, { kept: false, reason: 'not serving: request detail is kept while a component serves' });
    await session.execute({ type: 'load', component: 'demo:print' });
    const serving = session.serving;
    assert.ok(serving);
    const answer = await send(new URL('/via-session', serving.frontDoor.url).href, {
      headers: { 'x-poolscope-probe': 'session' },
    });
    assert.equal(answer.status, 200);
    const poolId = session.snapshot().poolId ?? -1;
    const reply = await session.execute({ type: 'requestDetail', requestId: 0, poolId });
    assert.ok(reply.kept);
    assert.equal(reply.detail.uri, '/via-session');
    assert.ok(reply.detail.requestHeaders?.fields.some(([n, v]) => n === 'x-poolscope-probe' && v === 'session'));
    const older = await session.execute({ type: 'requestDetail', requestId: 0, poolId: poolId + 1 });
    assert.equal(older.kept, false);
    const unknown = await session.execute({ type: 'requestDetail', requestId: 999_999 });
    assert.deepEqual(unknown, { kept: false, reason: detailNotKept() });
  } finally {
    await session.close();
  }
});

/** The events one request makes on a pool, as the pool emits them, with the front door's hook between. */
function serveOne(bus: EventBus, details: RequestDetails, id: number, instanceId: number, lines: number): void {
  bus.emit({ type: 'request.received', requestId: id, method: 'GET', uri: `/r${id}` });
  const answer: Responder = { respond() {}, fail() {}, chunk() {}, end() {}, abort() {} };
  const request: PoolRequest = {
    id,
    receivedAt: bus.now(),
    init: {
      method: 'GET',
      scheme: 'http',
      authority: 'x',
      pathWithQuery: `/r${id}`,
      headers: [['x-long', new TextEncoder().encode('y'.repeat(5000))]],
      body: new Uint8Array(3),
    },
    responder: answer,
  };
  const watched = details.observe(request);
  bus.emit({ type: 'request.dispatched', requestId: id, mode: 'queued' });
  bus.emit({ type: 'request.accepted', requestId: id, instanceId, inFlight: 1, reuseCount: id + 1 });
  for (let i = 0; i < lines; i++) bus.emit({ type: 'guest.output', instanceId, stream: 'stdout', line: `line ${i}` });
  watched.responder.respond(200, [['content-type', new TextEncoder().encode('text/plain')]]);
  bus.emit({ type: 'request.responded', requestId: id, instanceId, status: 200, latencyMs: 1 });
  watched.responder.chunk(new Uint8Array(10));
  watched.responder.end();
  bus.emit({ type: 'request.completed', requestId: id, instanceId, durationMs: 1, bodyBytes: 10 });
  bus.emit({ type: 'worker.available', instanceId });
}

test('the store keeps the last N requests and bounded texts, and says when one is gone', () => {
  const bus = new EventBus();
  const limits = { ...REQUEST_DETAIL_LIMITS, requests: 3, outputLines: 2, headerValueChars: 100 };
  const details = new RequestDetails(bus, limits);
  // Past the first few thousand too, where the store compacts its queue of ids.
  const last = 3000;
  for (let id = 0; id <= last; id++) serveOne(bus, details, id, 7, 4);
  assert.deepEqual(details.get(1), { kept: false, reason: detailNotKept(3) });
  assert.deepEqual(details.get(last - 3).kept, false);
  assert.deepEqual(
    [last - 2, last - 1, last].map((id) => details.get(id).kept),
    [true, true, true],
  );
  assert.equal(details.stats().requests, 3);
  const d = keptDetail(details, last);
  assert.deepEqual(
    d.output.map((o) => o.line),
    ['line 0', 'line 1'],
  );
  assert.equal(d.outputOmitted, 2);
  const [[name, value] = ['', '']] = d.requestHeaders?.fields ?? [];
  assert.equal(name, 'x-long');
  assert.equal(value.length, 100);
  assert.ok(value.endsWith('…'));
  assert.equal(d.responseBodyBytes, 10);
  assert.equal(d.requestBodyBytes, 3);
  assert.deepEqual(d.response?.headers.fields, [['content-type', 'text/plain']]);
  assert.ok(d.phases.availableAt !== null);
  details.close();
});

test('the total size bound lets the oldest requests go before the count does', () => {
  const bus = new EventBus();
  // Each request holds about 100 + 12 + ~12 characters: at most three fit in 400.
  const limits = { ...REQUEST_DETAIL_LIMITS, headerValueChars: 100, totalChars: 400 };
  const details = new RequestDetails(bus, limits);
  for (let id = 0; id < 10; id++) serveOne(bus, details, id, 1, 0);
  const { requests, chars } = details.stats();
  assert.ok(chars <= 400, `chars ${chars}`);
  assert.ok(requests >= 2 && requests <= 3, `requests ${requests}`);
  assert.equal(details.get(9).kept, true, 'the newest stays');
  assert.equal(details.get(0).kept, false);
  details.close();
});
