/**
 * Outgoing HTTP through the real engine with a real guest: zoo-js-fetch (componentize-js,
 * WASIp2: its `fetch()` goes through `wasi:http/outgoing-handler`) proxying `?url=` to a local
 * node:http upstream. The host functions themselves, error codes included, are tested in
 * host/p2/outgoing.test.ts and host/p3/outgoing.test.ts; here: what a user sees with and without
 * `--allow-http`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureGuestsBuilt, zooGuestPath } from '../../assets/guests/build.ts';
import { writeEventsAsJsonLines } from '../events/json-lines.ts';
import { closedPort, readAll } from '../host/outgoing/test-support.ts';
import { callOf, type PoolEvent, type PoolKnobs, type RequestOutgoing } from '../../protocol/index.ts';
import { completedCall } from '../../protocol/test-support.ts';
import { send } from './support/http-client.ts';
import { eventsOf, serveForTest, type TestServer } from './support/serve.ts';

let upstream: Server;
let upstreamUrl: string;
/** What `/count` has answered so far. */
let counted = 0;
before(async () => {
  await ensureGuestsBuilt();
  upstream = createServer(async (req, res) => {
    const body = (await readAll(req)).toString();
    if (req.url === '/count') {
      res.end(`n=${++counted}`);
      return;
    }
    if (req.url === '/with-trailers') {
      res.writeHead(200, { trailer: 'x-t' });
      res.write('body then trailers');
      res.addTrailers({ 'x-t': '1' });
      res.end();
      return;
    }
    if (req.url === '/missing' || req.url === '/boom') {
      res.statusCode = req.url === '/missing' ? 404 : 500;
      res.end(`status ${res.statusCode}`);
      return;
    }
    // Node adds connection, keep-alive and transfer-encoding: the guest copies every header it
    // is given into a new `fields`, which refuses those.
    res.setHeader('keep-alive', 'timeout=5');
    res.setHeader('x-upstream', 'yes');
    res.end(`upstream saw ${req.method} ${req.url} ${body}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
// Connections a failed test left open (a guest still waiting on the upstream) must not keep the
// file from ending.
after(() => {
  clients.destroy();
  upstream.closeAllConnections();
  return new Promise<void>((resolve) => upstream.close(() => resolve()));
});

/**
 * Keep-alive clients, for the tests that assert how a request ends: the client stays connected
 * past the response, so each request's outcome is the engine's alone. (A client that closes the
 * moment it has a whole content-length body gets a completed request too: client-leaves.test.ts.)
 * The other tests close their connections (`agent: false`), so Node adds no `keep-alive` header
 * of its own to the answers they check.
 */
const clients = new Agent({ keepAlive: true, maxSockets: 1 });

/** zoo-js-fetch served as `poolscope serve [--allow-http]` runs it. Each test closes its server
 * in `finally`; one a failed test could not close (or that failed before its `try`) is stopped
 * hard at the end of the file (`serveForTest`'s leftovers), so a failure never leaves the engine
 * running. One instance at most, so requests sent one after another stay on it even when the
 * next arrives before the last handle has returned (a busy machine). */
function serve(allowOutgoingHttp: boolean): Promise<TestServer> {
  return serveFetch({ allowOutgoingHttp }, { maxInstances: 1 });
}

const proxied = (target: string): string => `/proxy?url=${encodeURIComponent(target)}`;

function exchange(
  url: string,
  method = 'GET',
  body?: string,
  agent: Agent | false = false,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent }, async (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: (await readAll(res)).toString() });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('without --allow-http: the guest gets an error (502 here) and stderr says once per instance which flag allows it', async () => {
  const server = await serve(false);
  try {
    const first = await exchange(server.url(proxied(`${upstreamUrl}/x?y=1`)));
    const second = await exchange(server.url(proxied(`${upstreamUrl}/z`)));
    assert.equal(first.status, 502, first.body);
    assert.match(first.body, /^fetch failed: /);
    assert.equal(second.status, 502);
    const lines = server.stderr.filter((line) => line.includes('--allow-http'));
    assert.equal(lines.length, 1, server.stderr.join('\n'));
    assert.match(
      lines[0] as string,
      /^stderr \[\d+\] :: poolscope: instance \d+ tried GET http:\/\/127\.0\.0\.1:\d+\/x\?y=1: outgoing HTTP is denied; start with --allow-http to allow it/,
    );
  } finally {
    await server.close();
  }
});

test('with --allow-http: status, body and headers come from the upstream (hop-by-hop ones filtered), POST bodies go to it, 404 and 500 pass through', async () => {
  const server = await serve(true);
  try {
    const get = await exchange(server.url(proxied(`${upstreamUrl}/up?a=1`)));
    assert.equal(get.status, 200, get.body);
    assert.equal(get.body, 'upstream saw GET /up?a=1 ');
    assert.equal(get.headers['x-upstream'], 'yes');
    assert.equal(get.headers['x-zoo-upstream-status'], '200');
    assert.equal(get.headers['keep-alive'], undefined);

    const post = await exchange(server.url(proxied(`${upstreamUrl}/echo`)), 'POST', 'a request body');
    assert.equal(post.status, 200, post.body);
    assert.equal(post.body, 'upstream saw POST /echo a request body');

    for (const [path, status] of [
      ['/missing', 404],
      ['/boom', 500],
    ] as const) {
      const answer = await exchange(server.url(proxied(`${upstreamUrl}${path}`)));
      assert.equal(answer.status, status, answer.body);
      assert.equal(answer.body, `status ${status}`);
    }
    assert.deepEqual(
      server.stderr.filter((line) => line.includes('--allow-http')),
      [],
    );
  } finally {
    await server.close();
  }
});

test('with --allow-http, one instance makes more outgoing requests than the 32 it may hold open: a guest that reads each body to the end lets go of it (even one that never takes the trailers)', async () => {
  const server = await serve(true);
  try {
    for (let i = 0; i < 40; i++) {
      const answer = await exchange(server.url(proxied(`${upstreamUrl}/with-trailers`)));
      assert.equal(answer.status, 200, `request ${i}: ${answer.body}`);
      assert.equal(answer.body, 'body then trailers');
    }
    assert.equal(eventsOf(server.events, 'worker.spawned').length, 1);
  } finally {
    await server.close();
  }
});

test("with --allow-http, an upstream that cannot be reached is the guest's error, not the server's", async () => {
  const server = await serve(true);
  try {
    const answer = await exchange(server.url(proxied('http://nonexistent.invalid/')));
    assert.equal(answer.status, 502, answer.body);
    assert.match(answer.body, /^fetch failed: /);
    // The instance lives on: the next request is served.
    const next = await exchange(server.url(proxied(`${upstreamUrl}/after`)));
    assert.equal(next.status, 200, next.body);
  } finally {
    await server.close();
  }
});

// ---- request.outgoing events --------------------------------------------------------------

/** zoo-js-fetch served with --allow-http, one instance kept for many requests. */
function serveFetch(
  options: Parameters<typeof serveForTest>[2] = {},
  knobs: Partial<PoolKnobs> = {},
): Promise<TestServer> {
  return serveForTest(
    zooGuestPath('zoo-js-fetch'),
    { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000, ...knobs },
    { allowOutgoingHttp: true, ...options },
  );
}

/** The id the front door gave the request for `path` (each test sends each path once). */
function requestIdOf(events: readonly PoolEvent[], path: string): number {
  const received = events.find((e) => e.type === 'request.received' && e.uri === path);
  assert.ok(received && received.type === 'request.received', `no request.received for ${path}`);
  return received.requestId;
}

/** The request's own events, in order, as `type` strings. */
function sequenceOf(events: readonly PoolEvent[], requestId: number): string[] {
  return events
    .filter((e) => 'requestId' in e && e.requestId === requestId && e.type.startsWith('request.'))
    .map((e) => e.type);
}

/** A proxied request's own events: its outgoing request comes between its accept and its response. */
const PROXIED_SEQUENCE = [
  'request.received',
  'request.dispatched',
  'request.accepted',
  'request.outgoing',
  'request.responded',
  'request.completed',
];

test("request.outgoing: each outgoing request is an event between the guest request's accept and its response, with its instance and request, method, URL, status, outcome and sizes; --events writes it", async () => {
  // One instance at most: on a busy machine the second request can arrive before the first
  // instance's handle has returned, and would otherwise start a second instance.
  const server = await serveFetch({}, { maxInstances: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'poolscope-outgoing-'));
  const file = join(dir, 'events.jsonl');
  const jsonLines = writeEventsAsJsonLines(server.bus, file);
  try {
    const getPath = proxied(`${upstreamUrl}/up?a=1`);
    const postPath = proxied(`${upstreamUrl}/echo`);
    const get = await exchange(server.url(getPath), 'GET', undefined, clients);
    assert.equal(get.status, 200, get.body);
    const post = await exchange(server.url(postPath), 'POST', 'a request body', clients);
    assert.equal(post.status, 200, post.body);
    const getId = requestIdOf(server.events, getPath);
    const postId = requestIdOf(server.events, postPath);
    await server.waitFor((e) => e.type === 'request.completed' && e.requestId === postId);

    for (const id of [getId, postId]) assert.deepEqual(sequenceOf(server.events, id), PROXIED_SEQUENCE);
    const accepted = eventsOf(server.events, 'request.accepted').filter(
      (e) => e.requestId === getId || e.requestId === postId,
    );
    const outgoing = eventsOf(server.events, 'request.outgoing');
    assert.equal(outgoing.length, 2);
    const [first, second] = outgoing as [RequestOutgoing, RequestOutgoing];
    const authority = new URL(upstreamUrl).host;
    // Both on the one instance, each named for the guest request that made it.
    assert.equal(first.instanceId, accepted[0]!.instanceId);
    assert.equal(second.instanceId, accepted[1]!.instanceId);
    assert.equal(first.instanceId, second.instanceId);
    assert.deepEqual(
      { ...first, t: 0, seq: 0, durationMs: 0 },
      {
        type: 'request.outgoing',
        t: 0,
        seq: 0,
        instanceId: first.instanceId,
        requestId: getId,
        ...completedCall({ authority, path: '/up?a=1', responseBytes: Buffer.byteLength('upstream saw GET /up?a=1 ') }),
      },
    );
    assert.ok(first.durationMs > 0);
    assert.equal(second.requestId, postId);
    assert.equal(second.method, 'POST');
    assert.equal(second.path, '/echo');
    assert.equal(second.requestBytes, Buffer.byteLength('a request body'));
    assert.equal(second.responseBytes, Buffer.byteLength('upstream saw POST /echo a request body'));
    // Successes print nothing.
    assert.deepEqual(
      server.stderr.filter((line) => line.startsWith('outgoing')),
      [],
    );

    // As `serve --events` does at exit: the pool first, then the file.
    await server.close();
    await jsonLines.close();
    const written = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PoolEvent);
    assert.deepEqual(
      written.filter((e) => e.type === 'request.outgoing'),
      outgoing,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('request.outgoing: connection refused is outcome failed with the error-code the guest got, and one stderr line names it', async () => {
  const server = await serveFetch();
  try {
    const port = await closedPort();
    const path = proxied(`http://127.0.0.1:${port}/nobody?home=1`);
    const answer = await exchange(server.url(path), 'GET', undefined, clients);
    assert.equal(answer.status, 502, answer.body);
    const id = requestIdOf(server.events, path);
    await server.waitFor((e) => e.type === 'request.completed' && e.requestId === id);
    assert.deepEqual(sequenceOf(server.events, id), PROXIED_SEQUENCE);
    const [failed, ...more] = eventsOf(server.events, 'request.outgoing');
    assert.deepEqual(more, []);
    assert.ok(failed);
    const accepted = eventsOf(server.events, 'request.accepted').find((e) => e.requestId === id)!;
    assert.equal(failed.instanceId, accepted.instanceId);
    assert.equal(failed.requestId, id);
    assert.equal(failed.outcome, 'failed');
    assert.equal(failed.status, null);
    assert.equal(failed.authority, `127.0.0.1:${port}`);
    assert.equal(failed.path, '/nobody?home=1');
    assert.equal(failed.error?.tag, 'connection-refused');
    assert.match(failed.error?.detail ?? '', /ECONNREFUSED/);
    const lines = server.stderr.filter((line) => line.startsWith('outgoing request failed:'));
    assert.deepEqual(lines, [
      `outgoing request failed: GET http://127.0.0.1:${port}/nobody?home=1: connection-refused (${failed.error?.detail}) (instance ${failed.instanceId}, request ${id})`,
    ]);
  } finally {
    await server.close();
  }
});

test('request.outgoing: without --allow-http the refusal is an event too (failed, HTTP-request-denied), and stderr has only the line about the flag', async () => {
  const server = await serveFetch({ allowOutgoingHttp: false });
  try {
    const path = proxied(`${upstreamUrl}/denied`);
    const answer = await exchange(server.url(path), 'GET', undefined, clients);
    assert.equal(answer.status, 502, answer.body);
    const id = requestIdOf(server.events, path);
    await server.waitFor((e) => e.type === 'request.completed' && e.requestId === id);
    const [denied] = eventsOf(server.events, 'request.outgoing');
    assert.equal(denied?.requestId, id);
    assert.equal(denied?.outcome, 'failed');
    assert.equal(denied?.error?.tag, 'HTTP-request-denied');
    assert.equal(denied?.durationMs, 0);
    assert.deepEqual(
      server.stderr.filter((line) => line.startsWith('outgoing')),
      [],
    );
    assert.equal(server.stderr.filter((line) => line.includes('--allow-http')).length, 1);
  } finally {
    await server.close();
  }
});

test('leak.checked carries the outgoing requests of the reused answer and of the fresh replay', async () => {
  // One instance at most: the second request waits for the first's instance and reuses it. (With
  // more, a busy machine could hand it a new instance before the first was available again, and
  // no reused answer means no replay to wait for.)
  const server = await serveFetch({ leakDetection: { mode: 'all', maxReplaysPerSecond: 1000 } }, { maxInstances: 1 });
  // Keep-alive, as the other leak tests: a client that closes its connection the moment it has
  // the body can be seen leaving before the response's end (a cut-off answer, not this test's point).
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const path = proxied(`${upstreamUrl}/count`);
    const first = await send(server.url(path), { agent });
    const second = await send(server.url(path), { agent });
    assert.match(first.body, /^n=\d+$/);
    assert.match(second.body, /^n=\d+$/);
    // The replay of the second (reused) answer asks the upstream once more: its count moved on.
    const check = await server.waitFor((e) => e.type === 'leak.checked');
    assert.equal(check.type, 'leak.checked');
    if (check.type !== 'leak.checked') return;
    assert.equal(check.verdict, 'leak', JSON.stringify(check));
    assert.equal(check.reuseIndex, 2);
    const secondId = eventsOf(server.events, 'request.received').filter((e) => e.uri === path)[1]!.requestId;
    assert.equal(check.requestId, secondId);
    assert.ok(check.outgoing);
    assert.equal(check.outgoing.reusedTotal, 1);
    assert.equal(check.outgoing.freshTotal, 1);
    const reusedCall = eventsOf(server.events, 'request.outgoing').find((e) => e.requestId === secondId)!;
    assert.deepEqual(check.outgoing.reused, [callOf(reusedCall)]);
    assert.equal(check.outgoing.fresh[0]?.path, '/count');
    assert.equal(check.outgoing.fresh[0]?.outcome, 'complete');
    assert.equal(check.outgoing.fresh[0]?.status, 200);
    assert.ok((check.outgoing.fresh[0]?.responseBytes ?? 0) > 0);
    // The replay's own events never reach the watched pool's bus.
    assert.equal(eventsOf(server.events, 'request.outgoing').length, 2);
  } finally {
    agent.destroy();
    await server.close();
  }
});
