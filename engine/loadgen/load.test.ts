/** The load generator against real servers on loopback: counts, status counts, rates, errors. No timing assertions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidLoadOptionsError, LoadTargetError, runLoad, toLoadProgress, type LoadProgressUpdate } from './index.ts';
import { LatencyHistogram } from './histogram.ts';
import { serveForTest } from '../test/support/serve.ts';

async function withServer(handler: RequestListener, body: (url: string) => Promise<void>): Promise<void> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const hello: RequestListener = (_req, res) => res.end('Hello, WASI!');

test('a closed loop with a count sends exactly that many requests, all answered', async () => {
  await withServer(hello, async (url) => {
    const summary = await runLoad({ url, count: 500, connections: 10 });
    assert.equal(summary.mode, 'closed-loop');
    assert.equal(summary.stoppedBy, 'count');
    assert.equal(summary.sent, 500);
    assert.equal(summary.responses, 500);
    assert.equal(summary.unanswered, 0);
    assert.deepEqual(summary.statusCounts, { '200': 500 });
    assert.equal(summary.non2xx, 0);
    assert.deepEqual(summary.errors, { total: 0, connection: 0, timeouts: 0, byCode: {} });
    assert.ok(summary.requestsPerSecond > 0);
    const l = summary.latencyMs!;
    assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, JSON.stringify(l));
  });
});

test('status codes are counted per code, on the calling thread too', async () => {
  let n = 0;
  await withServer(
    (req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : n++ % 2 === 0 ? 200 : 503;
      res.end();
    },
    async (url) => {
      const mixed = await runLoad({ url, count: 100, connections: 1, thread: 'current' });
      assert.deepEqual(mixed.statusCounts, { '200': 50, '503': 50 });
      assert.equal(mixed.non2xx, 50);
      const missing = await runLoad({ url: new URL('/missing', url).href, count: 30, connections: 3 });
      assert.deepEqual(missing.statusCounts, { '404': 30 });
    },
  );
});

test('method, headers and body reach the server', async () => {
  const seen: string[] = [];
  await withServer(
    (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['x-test']} ${body}`);
        res.end();
      });
    },
    async (url) => {
      await runLoad({
        url: new URL('/p?q=1', url).href,
        method: 'POST',
        headers: { 'x-test': 'yes' },
        body: 'hi',
        count: 5,
        connections: 1,
      });
    },
  );
  assert.deepEqual(seen, Array(5).fill('POST /p?q=1 yes hi'));
});

test('an open loop sends about rate × duration requests, never more', async () => {
  await withServer(hello, async (url) => {
    const summary = await runLoad({ url, rate: 100, durationMs: 1500, connections: 10 });
    assert.equal(summary.mode, 'open-loop');
    assert.equal(summary.targetRate, 100);
    assert.ok(summary.sent <= 150, `sent ${summary.sent}`);
    assert.ok(summary.sent >= 75, `sent ${summary.sent}`);
    assert.equal(summary.responses + summary.errors.total + summary.unanswered, summary.sent);
  });
});

test('progress comes while running and ends with one finished update that matches the summary', async () => {
  await withServer(hello, async (url) => {
    const updates: LoadProgressUpdate[] = [];
    const summary = await runLoad({ url, durationMs: 400, connections: 5, progressIntervalMs: 50 }, (update) =>
      updates.push(update),
    );
    assert.ok(updates.length >= 2, `${updates.length} updates`);
    const last = updates.at(-1)!;
    assert.equal(last.finished, true);
    assert.equal(updates.filter((u) => u.finished).length, 1);
    assert.equal(last.responses, summary.responses);
    assert.deepEqual(last.statusCounts, summary.statusCounts);
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i]!.done >= updates[i - 1]!.done);
    const bridge = toLoadProgress(7, last);
    assert.deepEqual(Object.keys(bridge).sort(), [
      'done',
      'errorBreakdown',
      'errors',
      'finished',
      'latencyMs',
      'rate',
      'runId',
      'statusCounts',
      'timeoutMs',
    ]);
    assert.equal(bridge.runId, 7);
    assert.equal(bridge.done, summary.responses + summary.errors.total);
  });
});

test('an abort signal ends the run early with what was measured', async () => {
  await withServer(hello, async (url) => {
    const controller = new AbortController();
    const summary = await runLoad({ url, durationMs: 30_000, connections: 5, signal: controller.signal }, (update) => {
      if (update.responses > 0) controller.abort();
    });
    assert.equal(summary.aborted, true);
    assert.equal(summary.stoppedBy, 'abort');
    assert.ok(summary.responses > 0);
    const already = await runLoad({ url, signal: AbortSignal.abort() });
    assert.equal(already.aborted, true);
    assert.equal(already.sent, 0);
  });
});

test('connections the server resets are counted as connection errors, by code', async () => {
  await withServer(
    (req) => req.socket.resetAndDestroy(),
    async (url) => {
      const summary = await runLoad({ url, count: 20, connections: 2 });
      assert.equal(summary.responses, 0);
      assert.ok(summary.errors.connection > 0);
      assert.equal(summary.errors.total, summary.errors.connection + summary.errors.timeouts);
      assert.ok((summary.errors.byCode.ECONNRESET ?? 0) > 0, JSON.stringify(summary.errors));
      assert.equal(summary.errors.timeouts, 0);
    },
  );
});

test('requests the server never answers are client timeouts, in progress and summary, apart from connection errors', async () => {
  await withServer(
    () => {}, // never answers
    async (url) => {
      const updates: LoadProgressUpdate[] = [];
      const summary = await runLoad({ url, count: 2, connections: 2, timeoutMs: 1000 }, (u) => updates.push(u));
      assert.equal(summary.responses, 0);
      assert.equal(summary.errors.timeouts, 2);
      assert.equal(summary.errors.connection, 0);
      assert.deepEqual(summary.errors.byCode, {});
      const last = toLoadProgress(1, updates.at(-1)!);
      assert.equal(last.errors, 2);
      assert.deepEqual(last.errorBreakdown, { timeouts: 2, connection: {} });
      assert.equal(last.timeoutMs, 1000);
    },
  );
});

test('nothing listening is one clear error; bad options name what is wrong', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  await assert.rejects(
    runLoad({ url: `http://127.0.0.1:${port}/`, count: 1 }),
    (error: Error) => error instanceof LoadTargetError && /ECONNREFUSED/.test(error.message),
  );
  await assert.rejects(runLoad({ url: 'ftp://x/', connections: 0 }), (error: Error) => {
    assert.ok(error instanceof InvalidLoadOptionsError);
    assert.match(error.message, /not an http:\/\/ or https:\/\/ URL/);
    assert.match(error.message, /connections must be at least 1/);
    return true;
  });
  await assert.rejects(runLoad({ url: 'http://127.0.0.1:1/', timeoutMs: 10 }), /timeout must be at least 1s/);
});

test('Poolscope serving demo:hello answers every request of a run', async () => {
  const server = await serveForTest('demo:hello', { maxInstanceReuseCount: 128 });
  try {
    const summary = await runLoad({ url: server.url(), count: 200, connections: 4 });
    assert.deepEqual(summary.statusCounts, { '200': 200 });
    assert.equal(summary.errors.total, 0);
  } finally {
    await server.close();
  }
});

test('the latency histogram is within 1% and exact at the extremes', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 … 100 ms
  const s = h.stats()!;
  assert.equal(s.min, 0.1);
  assert.equal(s.max, 100);
  assert.ok(Math.abs(s.p50 - 50) / 50 < 0.01, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p99 - 99) / 99 < 0.01, `p99 ${s.p99}`);
  const other = new LatencyHistogram();
  other.record(1000);
  h.merge(other);
  assert.equal(h.stats()!.max, 1000);
  assert.equal(new LatencyHistogram().stats(), null);
});
