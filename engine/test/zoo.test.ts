/**
 * The zoo (assets/guests/zoo/, built by assets/guests/build-zoo.ts): guests from toolchains nobody
 * here wrote the runtime of, served through the real engine at max-instance-reuse-count 1 and 128.
 *
 * - zoo-js-echo (componentize-js, raw wasi:http 0.2 bindings) and zoo-qjs-p3-headers
 *   (componentize-qjs, WASIp3): echo headers (copied into a new `fields`), body and trailers.
 * - zoo-js-fetch (componentize-js): proxies `?url=` with fetch(), i.e. WASIp2 outgoing HTTP.
 * - js-fetch-event (componentize-js's fetch-event style, also `demo:js-fetch-event`): a fresh
 *   instance answers, a reused one sets no response; the leak detector reports it as failed on reuse.
 *
 * zoo-qjs-p3-headers' response trailers are a `fields` it makes itself and writes into a future:
 * they reach the host only with our fix of jco's glue (component/p3-handle-table-glue.ts; see
 * ARCHITECTURE.md, "Headers and trailers").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureGuestsBuilt, zooGuestPath } from '../../assets/guests/build.ts';
import type { PoolKnobs } from '../../protocol/index.ts';
import { startServing } from '../serve.ts';
import { runCli } from './support/cli.ts';
import { assertFailsOnlyOnReuse, eventsOf, serveForTest } from './support/serve.ts';

const REUSE_COUNTS = [1, 128] as const;

/** Built once by `npm run build:guests` (or here, on a cache miss); never per test. */
before(async () => {
  await ensureGuestsBuilt();
});

/**
 * Reuse `reuse` times at most, and no idle retirement between requests on a slow machine. With
 * reuse, one instance at most: a request that arrives while the instance is still finishing its
 * last `handle` (a loaded machine) waits for it instead of starting a second instance.
 */
function knobsFor(reuse: number): Partial<PoolKnobs> {
  return { maxInstanceReuseCount: reuse, idleInstanceTimeoutMs: 60_000, ...(reuse > 1 ? { maxInstances: 1 } : {}) };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: NodeJS.Dict<string>;
}

/** One request on `agent` (keep-alive): the body in `chunks` (chunked when there are trailers), then `trailers`. */
function exchange(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    chunks?: string[];
    trailers?: Record<string, string>;
    agent?: Agent;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.trailers)
      Object.assign(headers, {
        'transfer-encoding': 'chunked',
        te: 'trailers',
        trailer: Object.keys(options.trailers).join(', '),
      });
    const req = request(url, { method: options.method ?? 'GET', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          trailers: res.trailers,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    if (options.trailers) req.addTrailers(options.trailers);
    req.end();
  });
}

/** `count` requests one after another on one keep-alive connection. */
async function sequential(url: string, count: number, options: Parameters<typeof exchange>[1] = {}): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const answers: Answer[] = [];
    for (let i = 0; i < count; i++) answers.push(await exchange(url, { ...options, agent }));
    return answers;
  } finally {
    agent.destroy();
  }
}

const ECHO_GUESTS = [
  ['zoo-js-echo', 'componentize-js, WASIp2'],
  ['zoo-qjs-p3-headers', 'componentize-qjs, WASIp3'],
] as const;

for (const [name, toolchain] of ECHO_GUESTS) {
  for (const reuse of REUSE_COUNTS) {
    test(`${name} (${toolchain}) at reuse ${reuse}: echoes method, path, every header (copied into a new fields) and the body`, async () => {
      const server = await serveForTest(zooGuestPath(name), knobsFor(reuse));
      try {
        const answers = await sequential(server.url('/some/path?q=1'), 3, {
          method: 'POST',
          headers: { 'x-hello': 'world', 'x-two': 'a, b' },
          chunks: ['ping ', 'pong'],
        });
        for (const answer of answers) {
          assert.equal(answer.status, 200, answer.body);
          assert.equal(answer.body, 'ping pong');
          assert.equal(answer.headers['x-echo-method'], 'POST');
          assert.equal(answer.headers['x-echo-path'], '/some/path?q=1');
          assert.equal(answer.headers['x-hello'], 'world');
          assert.equal(answer.headers['x-two'], 'a, b');
        }
        // Reuse 1: an instance per request; reuse 128: one instance answered all three.
        assert.equal(eventsOf(server.events, 'worker.spawned').length, reuse === 1 ? 3 : 1);
      } finally {
        await server.close();
      }
    });

    test(`${name} (${toolchain}) at reuse ${reuse}: echoes a request trailer as a response trailer`, async () => {
      const server = await serveForTest(zooGuestPath(name), knobsFor(reuse));
      try {
        const answers = await sequential(server.url('/trailers'), 2, {
          method: 'POST',
          chunks: ['hello ', 'world'],
          trailers: { 'x-trail': 'yes' },
        });
        for (const answer of answers) {
          assert.equal(answer.status, 200, answer.body);
          assert.equal(answer.body, 'hello world');
          assert.deepEqual(answer.trailers, { 'x-trail': 'yes' });
        }
      } finally {
        await server.close();
      }
    });
  }
}

// --- zoo-js-fetch: WASIp2 outgoing HTTP through componentize-js's fetch() ---

/** A plain node:http upstream: its responses carry Node's hop-by-hop headers (connection, keep-alive, transfer-encoding). */
let upstream: Server;
let upstreamUrl: string;
before(async () => {
  upstream = createServer((req, res) => {
    res.setHeader('x-upstream', 'yes');
    res.statusCode = 203;
    res.end(`upstream saw ${req.method} ${req.url}`); // no content-length: chunked
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

/** The engine as `poolscope serve --allow-http` runs it. */
async function serveWithHttp(component: string, knobs: Partial<PoolKnobs>) {
  const serving = await startServing({
    component,
    knobs,
    allowOutgoingHttp: true,
    listen: { host: '127.0.0.1', port: 0 },
  });
  return { ...serving, url: (path: string) => new URL(path, serving.frontDoor.url).href };
}

const proxied = (target: string): string => `/proxy?url=${encodeURIComponent(target)}`;

for (const reuse of REUSE_COUNTS) {
  test(`zoo-js-fetch at reuse ${reuse}: without ?url= 400, and fetch() denied without --allow-http is a 502 with the error`, async () => {
    const server = await serveForTest(zooGuestPath('zoo-js-fetch'), knobsFor(reuse));
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const missing = await exchange(server.url('/'), { agent });
      const denied = await exchange(server.url(proxied(`${upstreamUrl}/x`)), { agent });
      agent.destroy();
      assert.equal(missing.status, 400, missing.body);
      assert.match(missing.body, /give the upstream as \?url=/);
      assert.equal(denied.status, 502, denied.body);
      assert.match(denied.body, /^fetch failed: /);
    } finally {
      await server.close();
    }
  });

  test(`zoo-js-fetch at reuse ${reuse} with --allow-http: the upstream's status, body and headers, hop-by-hop ones filtered`, async () => {
    const server = await serveWithHttp(zooGuestPath('zoo-js-fetch'), knobsFor(reuse));
    try {
      const answers = await sequential(server.url(proxied(`${upstreamUrl}/up?a=1`)), 2);
      for (const answer of answers) {
        assert.equal(answer.status, 203, answer.body);
        assert.equal(answer.body, 'upstream saw GET /up?a=1');
        assert.equal(answer.headers['x-upstream'], 'yes');
        assert.equal(answer.headers['x-zoo-upstream-status'], '203');
      }
    } finally {
      await server.close();
    }
  });
}

// --- js-fetch-event: a fresh instance answers, a reused one does not ---

const FETCH_EVENT_BODY = 'Hello from a fetch event!';

test('js-fetch-event at reuse 1: every request on a fresh instance answers 200', async () => {
  const server = await serveForTest(zooGuestPath('js-fetch-event'), knobsFor(1));
  try {
    const answers = await sequential(server.url(), 3);
    assert.deepEqual(
      answers.map((a) => `${a.status} ${a.body}`),
      Array(3).fill(`200 ${FETCH_EVENT_BODY}`),
    );
  } finally {
    await server.close();
  }
});

test('js-fetch-event at reuse 128: 200 on its first request, and the second on the same instance sets no response', async () => {
  const server = await serveForTest('demo:js-fetch-event', knobsFor(128));
  try {
    const answers = await sequential(server.url(), 2);
    assert.equal(answers[0]!.status, 200, answers[0]!.body);
    assert.equal(answers[0]!.body, FETCH_EVENT_BODY);
    assert.equal(answers[1]!.status, 500, answers[1]!.body);
    assert.match(answers[1]!.body, /never invoked `response-outparam::set`/);
    assert.equal(eventsOf(server.events, 'worker.spawned').length, 1);
    // StarlingMonkey says why on the guest's stderr.
    assert.ok(
      server.stderr.some((line) => line.includes("FetchEvent#respondWith can't be called twice on the same event")),
      server.stderr.join('\n'),
    );
  } finally {
    await server.close();
  }
});

test('js-fetch-event under --leak-check all: the reused instance failed where a fresh one answered', async () => {
  const server = await serveForTest('demo:js-fetch-event', knobsFor(128), { leakDetection: { mode: 'all' } });
  try {
    await assertFailsOnlyOnReuse(server, /^failed \(never-set\): guest never invoked `response-outparam::set` method$/);
  } finally {
    await server.close();
  }
});

test('poolscope leaks demo:js-fetch-event: exit 1, every reused request failed on reuse', async () => {
  const { code, stdout, stderr } = await runCli(['leaks', 'demo:js-fetch-event', '--requests', '3']).exited;
  assert.equal(code, 1, `${stdout}${stderr}`);
  assert.match(
    stdout,
    /^failed on reuse: request 2 \(GET \/\), instance 0, reuse #2\n {2}outcome: "failed \(never-set\): guest never invoked `response-outparam::set` method" on the reused instance, 200 on a fresh one$/m,
  );
  assert.match(stdout, /^failed on reuse: request 3 .*reuse #3$/m);
  assert.match(stdout, /^2 leaks \(2 failed on reuse\): 2 reused answers compared/m);
});
