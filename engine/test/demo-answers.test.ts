/**
 * Demo guests answer exactly as documented, through the real engine over loopback: `echo` names
 * every method (CONNECT over a raw socket: Node's client has no plain CONNECT request), a
 * trap's 500 says `wasm trap` once, and the componentize-js guests (StarlingMonkey, WASIp2)
 * answer and keep module state across reuse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { send, sendSequential, type HttpResult } from './support/http-client.ts';
import { eventsOf, ONE_REUSED_INSTANCE, serveForTest } from './support/serve.ts';

/** Every method wasi:http names, and one it does not (carried as `other`; Node's parser knows PROPFIND). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND'];

test('demo:echo names every method in x-method', async () => {
  const server = await serveForTest('demo:echo');
  try {
    for (const method of METHODS) {
      const answer = await send(server.url('/m'), { method });
      assert.equal(answer.status, 200, method);
      // HEAD has no body: the header is the answer for every method.
      assert.equal(answer.headers['x-method'], method);
    }
    const connectAnswer = await rawRequest(
      new URL(server.url()),
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    assert.match(connectAnswer, /^HTTP\/1\.1 200 /);
    assert.match(connectAnswer, /\r\nx-method: CONNECT\r\n/i);
  } finally {
    await server.close();
  }
});

/** `guest`'s answer to one GET of `/`, from a server started for it and closed after. */
async function firstAnswerOf(guest: string): Promise<HttpResult> {
  const server = await serveForTest(guest);
  try {
    return await send(server.url());
  } finally {
    await server.close();
  }
}

test('demo:trap: the 500 body says `wasm trap` once', async () => {
  const answer = await firstAnswerOf('demo:trap');
  assert.equal(answer.status, 500);
  assert.equal(answer.body.split('wasm trap').length - 1, 1, answer.body);
});

test('demo:js-hello (componentize-js) answers 200 Hello, WASI!', async () => {
  const answer = await firstAnswerOf('demo:js-hello');
  assert.equal(answer.status, 200, answer.body);
  assert.equal(answer.body, 'Hello, WASI!');
});

test('demo:js-counter (componentize-js) counts 1, 2, 3 on one reused instance', async () => {
  const server = await serveForTest('demo:js-counter', ONE_REUSED_INSTANCE);
  try {
    const answers = await sendSequential(server.url(), 3);
    assert.deepEqual(
      answers.map((a) => `${a.status} ${a.body}`),
      ['200 count=1', '200 count=2', '200 count=3'],
    );
    assert.equal(eventsOf(server.events, 'worker.spawned').length, 1);
  } finally {
    await server.close();
  }
});

/** Writes `head` on a fresh connection and resolves with everything the server sent until it closed. */
function rawRequest(url: URL, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(head));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}
