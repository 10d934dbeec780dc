/**
 * Hostile HTTP clients against the real front door: aborted and truncated uploads, oversized
 * bodies and headers, a bounded slow-loris. After each, the server still answers a plain request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { loadComponent } from '../../component/load.ts';
import { ProxyHandler } from '../../pool/proxy-handler.ts';
import { startHttpServer } from '../../server/http-server.ts';
import { runCli } from '../support/cli.ts';
import { send } from '../support/http-client.ts';
import { eventsOf, serveForTest, type TestServer } from '../support/serve.ts';
import { waitUntil } from '../support/wait-until.ts';

function rawSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
}

async function assertStillServes(server: TestServer): Promise<void> {
  const plain = await send(server.url('/'));
  assert.equal(plain.status, 200, 'the server still answers a plain request');
}

test('an upload cut short (Content-Length 10, 3 bytes, close) fails only that request', async () => {
  const server = await serveForTest('demo:echo');
  const socket = await rawSocket(server.url());
  socket.end('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
  const failed = await server.waitFor((e) => e.type === 'request.failed');
  assert.ok(
    failed.type === 'request.failed' && failed.kind === 'client-gone',
    `recorded as client-gone: ${JSON.stringify(failed)}`,
  );
  await assertStillServes(server);
  await server.close();
});

test('a large upload reset mid-body fails only that request', async () => {
  const server = await serveForTest('demo:echo');
  const socket = await rawSocket(server.url());
  socket.on('error', () => {});
  socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
  socket.write(Buffer.alloc(1024 * 1024, 1), () => socket.resetAndDestroy());
  const failed = await server.waitFor((e) => e.type === 'request.failed');
  assert.ok(failed.type === 'request.failed' && failed.kind === 'client-gone');
  await assertStillServes(server);
  assert.equal(server.frontDoor.stats().bodyBytesInMemory, 0, 'the partial body was let go');
  await server.close();
});

test('a body over max-request-body-size gets 413, declared or chunked, without reaching the pool', async () => {
  const server = await serveForTest('demo:echo', { maxRequestBodyBytes: 1024 });
  const declared = await rawSocket(server.url());
  const answer = readAll(declared);
  declared.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n');
  assert.match(await answer, /^HTTP\/1\.1 413 [^]*larger than 1024 bytes/);
  declared.destroy();
  const chunked = await send(server.url('/'), {
    method: 'POST',
    body: 'x'.repeat(4096),
    headers: { 'transfer-encoding': 'chunked' },
  });
  assert.equal(chunked.status, 413);
  assert.equal(eventsOf(server.events, 'request.accepted').length, 0, 'no instance saw them');
  assert.deepEqual(
    eventsOf(server.events, 'request.failed').map((e) => e.kind),
    ['refused', 'refused'],
  );
  const small = await send(server.url('/'), { method: 'POST', body: 'hello' });
  assert.equal(small.body, 'hello');
  await server.close();
});

test('request bodies past the memory budget get 503 with Retry-After', async () => {
  const component = await loadComponent('demo:echo');
  const pool = new ProxyHandler({ component });
  const frontDoor = await startHttpServer(pool, { host: '127.0.0.1', port: 0 }, { bodyBudgetBytes: 64 * 1024 });
  const big = await send(frontDoor.url, { method: 'POST', body: 'x'.repeat(100 * 1024) });
  assert.equal(big.status, 503);
  assert.equal(big.headers['retry-after'], '1');
  assert.match(big.body, /exceed 65536 bytes/);
  assert.equal(frontDoor.stats().bodyBytesInMemory, 0);
  const small = await send(frontDoor.url, { method: 'POST', body: 'fits' });
  assert.equal(small.body, 'fits');
  await frontDoor.close();
  await pool.shutdown();
});

test('a request waiting for a slot holds no body in memory', async () => {
  const server = await serveForTest('demo:sleep', { maxConcurrentRequests: 1, requestTimeoutMs: 120_000 });
  const stuck = send(server.url('/')).catch(() => null); // sleeps until the pool is terminated
  await server.waitFor((e) => e.type === 'request.accepted');
  const waiting = await rawSocket(server.url());
  waiting.on('error', () => {});
  const body = Buffer.alloc(4 * 1024 * 1024, 7);
  waiting.write(`POST /?ms=0 HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
  await new Promise<void>((resolve) => waiting.write(body.subarray(0, 64 * 1024), () => resolve()));
  await server.waitFor((e) => e.type === 'request.received' && e.requestId === 1);
  await waitUntil('the request to wait for a slot', () => server.frontDoor.stats().waitingForSlot > 0);
  assert.equal(server.frontDoor.stats().bodyBytesInMemory, 0, 'the body is not read before a slot is free');
  waiting.destroy();
  server.pool.terminate();
  await stuck;
  await server.frontDoor.close();
});

test('oversized headers get 431, malformed requests 400, and the server keeps serving', async () => {
  const server = await serveForTest('demo:hello');
  const huge = await rawSocket(server.url());
  const hugeAnswer = readAll(huge);
  huge.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
  assert.match(await hugeAnswer, /^HTTP\/1\.1 431 /);
  const garbage = await rawSocket(server.url());
  const garbageAnswer = readAll(garbage);
  garbage.write('GARBAGE\r\n\r\n');
  assert.match(await garbageAnswer, /^HTTP\/1\.1 400 /);
  await assertStillServes(server);
  await server.close();
});

test('300 slow-loris connections do not stop a plain request from being served', async () => {
  const server = await serveForTest('demo:hello');
  const sockets = await Promise.all(Array.from({ length: 300 }, () => rawSocket(server.url())));
  for (const socket of sockets) {
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  }
  await assertStillServes(server);
  for (const socket of sockets) socket.destroy();
  await server.close();
});

test('200 clients hanging up mid-upload print one line and a summary, not 200 lines', {
  timeout: 120_000,
}, async () => {
  const run = runCli(['serve', 'demo:echo', '--addr', '127.0.0.1:0']);
  try {
    const url = await run.serving;
    const sockets = await Promise.all(Array.from({ length: 200 }, () => rawSocket(url)));
    for (const socket of sockets) socket.end('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    // Every hang-up is accounted for: printed, or counted in a summary line.
    const accounted = (stderr: string): number =>
      stderr
        .split('\n')
        .filter((line) => line.includes('went away while sending its body'))
        .map((line) => 1 + Number(/and (\d+) more like it/.exec(line)?.[1] ?? 0) - (/more like it/.test(line) ? 1 : 0))
        .reduce((a, b) => a + b, 0);
    await run.until('all 200 hang-ups to be accounted for', (stderr) => accounted(stderr) >= 200, { stream: 'stderr' });
    const lines = run
      .stderr()
      .split('\n')
      .filter((line) => line.includes('went away while sending its body'));
    assert.equal(accounted(run.stderr()), 200, run.stderr());
    assert.ok(lines.length < 20, `collapsed to a few lines, got ${lines.length}`);
    assert.doesNotMatch(run.stderr(), /malformed HTTP request/, 'a hang-up is not a parse error');
    assert.equal((await send(url)).status, 200);
  } finally {
    run.child.kill('SIGINT');
    await run.exited;
  }
});

test('a streamed upload over the cap still reads its 413, not a reset', async () => {
  const server = await serveForTest('demo:echo', { maxRequestBodyBytes: 1024 });
  const socket = await rawSocket(server.url());
  const answer = readAll(socket);
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
  const piece = Buffer.alloc(64 * 1024, 1);
  const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
  socket.on('error', () => {}); // the answer is what counts; a reset shows as an empty one
  // 16 MiB, more than loopback's socket buffers hold: the server must read past the cap to answer.
  for (let i = 0; i < 256 && !socket.destroyed; i++)
    await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
  if (!socket.destroyed) socket.end('0\r\n\r\n');
  assert.match(await answer, /^HTTP\/1\.1 413 [^]*larger than 1024 bytes/);
  await assertStillServes(server);
  await server.close();
});
