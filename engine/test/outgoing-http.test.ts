/**
 * Outgoing HTTP through the real engine with a real guest: zoo-js-fetch (componentize-js,
 * WASIp2: its `fetch()` goes through `wasi:http/outgoing-handler`) proxying `?url=` to a local
 * node:http upstream. The host functions themselves, error codes included, are tested in
 * host/p2/outgoing.test.ts and host/p3/outgoing.test.ts; here: what a user sees with and without
 * `--allow-http`.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ensureGuestsBuilt, zooGuestPath } from '../../assets/guests/build.ts';
import { reportToStderr } from '../cli/stderr-reporter.ts';
import { startServing, type Serving } from '../serve.ts';
import { readAll } from '../host/outgoing/test-support.ts';

let upstream: Server;
let upstreamUrl: string;
before(async () => {
  await ensureGuestsBuilt();
  upstream = createServer(async (req, res) => {
    const body = (await readAll(req)).toString();
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
after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

interface Served extends Serving {
  stderr: string[];
  url(path: string): string;
}

async function serve(allowOutgoingHttp: boolean): Promise<Served> {
  const stderr: string[] = [];
  const serving = await startServing({
    component: zooGuestPath('zoo-js-fetch'),
    knobs: { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000 },
    allowOutgoingHttp,
    listen: { host: '127.0.0.1', port: 0 },
    beforeListen: (bus) => reportToStderr(bus, { loggingPrefix: true, write: (line) => stderr.push(line) }),
  });
  return { ...serving, stderr, url: (path) => new URL(path, serving.frontDoor.url).href };
}

const proxied = (target: string): string => `/proxy?url=${encodeURIComponent(target)}`;

function exchange(url: string, method = 'GET', body?: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, async (res) => {
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
    assert.match(lines[0] as string, /^stderr \[\d+\] :: poolscope: instance \d+ tried GET http:\/\/127\.0\.0\.1:\d+\/x\?y=1: outgoing HTTP is denied; start with --allow-http to allow it/);
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

    for (const [path, status] of [['/missing', 404], ['/boom', 500]] as const) {
      const answer = await exchange(server.url(proxied(`${upstreamUrl}${path}`)));
      assert.equal(answer.status, status, answer.body);
      assert.equal(answer.body, `status ${status}`);
    }
    assert.deepEqual(server.stderr.filter((line) => line.includes('--allow-http')), []);
  } finally {
    await server.close();
  }
});

test('with --allow-http, an upstream that cannot be reached is the guest\'s error, not the server\'s', async () => {
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
