/**
 * WASIp3 outgoing HTTP (`wasi:http/client.send`) against real upstreams on the loopback
 * interface, called the way the glue calls it: with preview3-shim's `Request`, `Fields` and
 * streams. Same client, error codes, header rules and records as WASIp2 (p2/outgoing.test.ts).
 */

import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { stream, type StreamWriter } from '@bytecodealliance/preview3-shim/stream';
import { future } from '@bytecodealliance/preview3-shim/future';
import type { OutgoingRecord } from '../outgoing/types.ts';
import { completedCall } from '../../../protocol/test-support.ts';
import {
  assertTwoWholeAndHeld,
  closedPort,
  readAll,
  recorder,
  startSilentServer,
  upstreamsClosedAfterTests,
} from '../outgoing/test-support.ts';
import { recordingSink } from '../p2/test-support.ts';
import { streamBody } from '../../thread/p3-http.ts';
import { OutgoingClient } from '../outgoing/client.ts';
import {
  createP3Imports,
  dropGuestBody,
  httpTypes,
  type P3ByteReader,
  type P3Fields,
  type P3HttpTypes,
  type P3Request,
  type P3Response,
} from './imports.ts';
import { createP3Send, type ShimHttpTypes } from './outgoing.ts';

/** The shim's classes as imports.ts types them, with the request-options constructor it leaves untyped. */
const types = httpTypes as Omit<P3HttpTypes, 'RequestOptions'> & {
  RequestOptions: new () => { setFirstByteTimeout(duration: bigint): void };
};
/** A readable `future<T>` end as the shim hands it out (`request.new`'s transmitted, `consume-body`'s trailers). */
interface FutureReader {
  read(): Promise<unknown>;
}
/** `consume-body`'s trailers once read: `result<option<trailers>, error-code>`. */
type TrailersResult = { tag: 'ok'; val: P3Fields | null | undefined } | { tag: 'err'; val: unknown };

const tagOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'tag' in value ? value.tag : undefined;
/** The `err` payload a host or shim call threw (`{ payload }`, see ../p2/result.ts). */
const payloadOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'payload' in value ? value.payload : undefined;
const text = new TextEncoder();
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

const upstream = upstreamsClosedAfterTests();

function newHost(allow = true) {
  const records: OutgoingRecord[] = [];
  const host = createP3Imports({
    env: [],
    output: { write() {} },
    allowOutgoingHttp: allow,
    onOutgoingRequest: (r) => records.push(r),
  });
  const send = (host.imports['wasi:http/client'] as { send: (request: unknown) => Promise<P3Response> }).send;
  return { send, records, dispose: () => host.dispose() };
}

interface Spec {
  method?: string;
  scheme?: string;
  authority: string;
  path?: string;
  headers?: Array<[string, string]>;
  /** A body given whole. */
  body?: string;
  /** Or one the test writes as it goes. */
  streamed?: boolean;
  trailers?: Array<[string, string]>;
  firstByteTimeoutNs?: bigint;
}

/** A request as a guest builds one (`request.new`), plus the writer of a streamed body and the
 * future `request.new` returned (how the body was sent). */
function newRequest(spec: Spec): { request: P3Request; writer: StreamWriter | null; transmitted: Promise<unknown> } {
  const headers = types.Fields.fromList((spec.headers ?? []).map(([n, v]) => [n, text.encode(v)]));
  let contents: unknown = null;
  let writer: StreamWriter | null = null;
  if (spec.streamed) {
    const { tx, rx } = stream();
    contents = rx;
    writer = tx;
  } else if (spec.body !== undefined) {
    contents = stream().rx;
    const { tx, rx } = stream();
    contents = rx;
    void tx.write(text.encode(spec.body)).then(() => tx.close());
  }
  const trailers = Promise.resolve({
    tag: 'ok',
    val: spec.trailers ? types.Fields.fromList(spec.trailers.map(([n, v]) => [n, text.encode(v)])) : undefined,
  });
  let options: InstanceType<typeof types.RequestOptions> | null = null;
  if (spec.firstByteTimeoutNs !== undefined) {
    options = new types.RequestOptions();
    options.setFirstByteTimeout(spec.firstByteTimeoutNs);
  }
  const [request, transmitted] = types.Request.new(headers, contents, trailers, options);
  request.setMethod(spec.method ?? 'GET');
  request.setScheme(spec.scheme ?? 'http');
  request.setAuthority(spec.authority);
  request.setPathWithQuery(spec.path ?? '/');
  return { request, writer, transmitted: (transmitted as FutureReader).read() };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return payloadOf(error);
  }
  assert.fail('expected send to fail');
}

function headerMap(entries: Array<[string, Uint8Array]>): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [name, value] of entries) (map[name] ??= []).push(str(value));
  return map;
}

/** The next chunk of a body the shim hands out, or null at its end. */
async function nextChunk(body: P3ByteReader): Promise<Uint8Array | null> {
  const chunk = await body.read();
  if (chunk === null || chunk === undefined) return null;
  assert.ok(chunk instanceof Uint8Array, `a chunk of bytes, not ${typeof chunk}`);
  return chunk;
}

/** Reads a response's body and trailers as a guest does (`consume-body`). */
async function readResponse(response: P3Response): Promise<{ body: string; trailers: TrailersResult }> {
  const { rx } = future();
  const [body, trailers] = types.Response.consumeBody(response, rx);
  assert.ok(body, 'the response has a body stream');
  const chunks: Uint8Array[] = [];
  for (let chunk = await nextChunk(body); chunk !== null; chunk = await nextChunk(body)) chunks.push(chunk);
  return { body: str(Buffer.concat(chunks)), trailers: (await trailers.read()) as TrailersResult };
}

test('a GET with a body: what the upstream sees, what the guest gets, and the record', async () => {
  let seen!: { method: string | undefined; url: string | undefined; headers: IncomingHttpHeaders; body: string };
  const u = await upstream(async (req, res) => {
    const body = await readAll(req);
    seen = { method: req.method, url: req.url, headers: req.headers, body: body.toString() };
    res.writeHead(200, { 'x-up': 'yes' });
    res.end(`echo:${body}`);
  });
  const { send, records } = newHost();
  const { request, transmitted } = newRequest({
    authority: u.authority,
    path: '/p?q=1',
    headers: [['x-a', '1']],
    body: 'hello',
  });
  const response = await send(request);
  assert.equal(response.getStatusCode(), 200);
  assert.deepEqual(headerMap(response.getHeaders().copyAll())['x-up'], ['yes']);
  const { body, trailers } = await readResponse(response);
  assert.equal(body, 'echo:hello');
  assert.deepEqual(trailers, { tag: 'ok', val: null });
  assert.deepEqual(await transmitted, { tag: 'ok', val: undefined });
  assert.deepEqual(
    { method: seen.method, url: seen.url, host: seen.headers.host, a: seen.headers['x-a'], body: seen.body },
    {
      method: 'GET',
      url: '/p?q=1',
      host: u.authority,
      a: '1',
      body: 'hello',
    },
  );
  assert.deepEqual(
    { ...records[0], durationMs: 0 },
    completedCall({ authority: u.authority, path: '/p?q=1', requestBytes: 5, responseBytes: 10 }),
  );
});

test('a POST body streams both ways', async () => {
  const u = await upstream((req, res) => {
    res.writeHead(200);
    res.flushHeaders();
    req.on('data', (chunk: Buffer) => res.write(`<${chunk.toString()}>`));
    req.on('end', () => res.end('done'));
  });
  const { send } = newHost();
  const { request, writer } = newRequest({ method: 'POST', authority: u.authority, streamed: true });
  assert.ok(writer);
  const response = await send(request);
  const { rx } = future();
  const [body] = types.Response.consumeBody(response, rx);
  assert.ok(body, 'the response has a body stream');
  let echoed = '';
  for (const part of ['one', 'two']) {
    await writer.write(text.encode(part));
    while (!echoed.endsWith(`<${part}>`)) {
      const chunk = await nextChunk(body);
      assert.ok(chunk, 'the body goes on');
      echoed += str(chunk);
    }
  }
  await writer.close();
  for (let chunk = await nextChunk(body); chunk !== null; chunk = await nextChunk(body)) echoed += str(chunk);
  assert.equal(echoed, '<one><two>done');
});

test('hop-by-hop headers from the upstream never reach the guest: a header-copying guest can copy them all', async () => {
  const u = await upstream((_req, res) => {
    res.socket?.write(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n' +
        'Upgrade: h2c\r\nProxy-Connection: keep-alive\r\nHost: upstream.example\r\nX-Kept: 1\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    );
    res.socket?.end();
  });
  const { send } = newHost();
  const response = await send(newRequest({ authority: u.authority }).request);
  const entries = response.getHeaders().copyAll();
  assert.deepEqual(
    entries.map(([n]) => n),
    ['x-kept'],
  );
  // What zoo-qjs-p3-proxy does: the upstream's headers into new fields for its own response.
  const copy = types.Fields.fromList(entries);
  assert.deepEqual(headerMap(copy.copyAll()), { 'x-kept': ['1'] });
  const headers = response.getHeaders() as P3Fields & { append(name: string, value: Uint8Array): void };
  assert.throws(
    () => headers.append('x-b', text.encode('2')),
    (e: unknown) => tagOf(payloadOf(e)) === 'immutable' || tagOf(e) === 'immutable',
  );
  assert.equal((await readResponse(response)).body, 'ok');
});

test("trailers both ways; forbidden upstream trailers removed; the guest's sent as hyper's client sends them (declared in `Trailer`, never content-length or set-cookie)", async () => {
  const seenTrailers: NodeJS.Dict<string>[] = [];
  const u = await upstream(async (req, res) => {
    await readAll(req);
    seenTrailers.push(req.trailers);
    res.writeHead(200, { trailer: 'x-checksum' });
    res.write('body');
    res.addTrailers({ 'x-checksum': 'abc', connection: 'close' });
    res.end();
  });
  const { send } = newHost();
  const trailers: Array<[string, string]> = [
    ['x-sent', 'yes'],
    ['x-undeclared', '1'],
    ['content-length', '4'],
    ['set-cookie', 'a=b'],
  ];
  const { request } = newRequest({
    method: 'PUT',
    authority: u.authority,
    headers: [['trailer', 'x-sent, content-length, set-cookie']],
    body: 'data',
    trailers,
  });
  const response = await send(request);
  const { body, trailers: got } = await readResponse(response);
  assert.equal(body, 'body');
  assert.ok(got.tag === 'ok' && got.val, `trailers arrived: ${JSON.stringify(got)}`);
  assert.deepEqual(headerMap(got.val.copyAll()), { 'x-checksum': ['abc'] });
  assert.deepEqual(seenTrailers[0], { 'x-sent': 'yes' });
  // Without a `Trailer` header none are sent.
  await readResponse(await send(newRequest({ method: 'PUT', authority: u.authority, body: 'data', trailers }).request));
  assert.deepEqual(seenTrailers[1], {});
});

test('404 and 500 pass through', async () => {
  const u = await upstream((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 500;
    res.end(`status ${res.statusCode}`);
  });
  const { send } = newHost();
  for (const [path, status] of [
    ['/missing', 404],
    ['/boom', 500],
  ] as const) {
    const response = await send(newRequest({ authority: u.authority, path }).request);
    assert.equal(response.getStatusCode(), status);
    assert.equal((await readResponse(response)).body, `status ${status}`);
  }
});

test('error codes as wasmtime: refused, DNS, https to a plain port (no OpenSSL text), first-byte timeout, denied', async () => {
  const plain = await upstream((_req, res) => res.end('plain'));
  const silent = await startSilentServer();
  upstream.add(silent);
  const { send, records } = newHost();
  assert.deepEqual(await errorOf(send(newRequest({ authority: `127.0.0.1:${await closedPort()}` }).request)), {
    tag: 'connection-refused',
  });
  assert.deepEqual(await errorOf(send(newRequest({ authority: 'nonexistent.invalid' }).request)), {
    tag: 'DNS-error',
    val: { rcode: 'address not available', infoCode: undefined },
  });
  assert.deepEqual(await errorOf(send(newRequest({ scheme: 'https', authority: plain.authority }).request)), {
    tag: 'TLS-protocol-error',
  });
  assert.deepEqual(
    await errorOf(send(newRequest({ authority: silent.authority, firstByteTimeoutNs: 50_000_000n }).request)),
    { tag: 'connection-read-timeout' },
  );
  assert.deepEqual(
    records.map((r) => r.error?.tag),
    ['connection-refused', 'DNS-error', 'TLS-protocol-error', 'connection-read-timeout'],
  );

  const denied = newHost(false);
  const { request, transmitted } = newRequest({ authority: plain.authority, path: '/x' });
  assert.deepEqual(await errorOf(denied.send(request)), { tag: 'HTTP-request-denied' });
  assert.deepEqual(await transmitted, { tag: 'err', val: { tag: 'HTTP-request-denied' } });
  assert.equal(denied.records[0]?.error?.tag, 'HTTP-request-denied');
  assert.equal(denied.records[0]?.authority, plain.authority);
});

test("a proxy guest handing the upstream's response on: body and trailers reach the pool's sink", async () => {
  const u = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive' });
    res.write('proxied ');
    res.addTrailers({ 'x-t': '1' });
    res.end('body');
  });
  const { send } = newHost();
  const response = await send(newRequest({ authority: u.authority }).request);
  const rec = recordingSink();
  await streamBody(response, rec.sink);
  assert.equal(rec.body(), 'proxied body');
  assert.equal(rec.calls.at(-1), 'end x-t=1');
});

test('disposing the instance lets go of its requests: a send waiting for a head fails, the upstream sees the connection close', async () => {
  const silent = await startSilentServer();
  upstream.add(silent);
  const { send, dispose, records } = newHost();
  const pending = errorOf(send(newRequest({ authority: silent.authority }).request));
  const socket = await silent.accepted;
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  dispose();
  assert.equal(tagOf(await pending), 'internal-error');
  await closed;
  assert.equal(records[0]?.outcome, 'dropped');
});

test("a request without a body (no contents), and one whose body breaks its content-length (HTTP-request-body-size, as wasmtime's p3)", async () => {
  let seen!: { headers: IncomingHttpHeaders; body: string };
  const u = await upstream(async (req, res) => {
    seen = { headers: req.headers, body: (await readAll(req).catch(() => Buffer.from('(cut)'))).toString() };
    res.end('ok');
  });
  const { send, records } = newHost();
  const headers = types.Fields.fromList([]);
  const [request, transmitted] = types.Request.new(headers, null, Promise.resolve({ tag: 'ok', val: undefined }), null);
  request.setMethod('DELETE');
  request.setScheme('http');
  request.setAuthority(u.authority);
  request.setPathWithQuery('/thing');
  const response = await send(request);
  assert.equal((await readResponse(response)).body, 'ok');
  assert.deepEqual(await (transmitted as FutureReader).read(), { tag: 'ok', val: undefined });
  assert.equal(seen.headers['transfer-encoding'], undefined, 'no body: no chunked framing');
  assert.equal(seen.body, '');

  const short = newRequest({
    method: 'POST',
    authority: u.authority,
    headers: [['content-length', '10']],
    body: 'short',
  });
  assert.deepEqual(await errorOf(send(short.request)), { tag: 'HTTP-request-body-size', val: 5n });
  assert.deepEqual(await short.transmitted, { tag: 'err', val: { tag: 'HTTP-request-body-size', val: 5n } });
  assert.equal(records.at(-1)?.error?.tag, 'HTTP-request-body-size');
});

test("what a guest keeps unread counts against the instance's bound until it lets go: reading the body to the end, or dropping the response, frees the slot", async () => {
  const u = await upstream((_req, res) => res.end('x'.repeat(10_000)));
  const { records, onRecord, recorded } = recorder();
  const client = new OutgoingClient({ allow: true, limits: { maxConcurrentRequests: 2 }, onRecord });
  const send = createP3Send(client, httpTypes as unknown as ShimHttpTypes, dropGuestBody) as (
    request: unknown,
  ) => Promise<P3Response>;
  const a = await send(newRequest({ authority: u.authority }).request);
  const b = await send(newRequest({ authority: u.authority }).request);
  await recorded(2);
  assertTwoWholeAndHeld(records, client);
  assert.deepEqual(await errorOf(send(newRequest({ authority: u.authority }).request)), {
    tag: 'connection-limit-reached',
  });
  assert.equal((await readResponse(a)).body.length, 10_000);
  assert.equal(client.activeCount, 1);
  (b as P3Response & Disposable)[Symbol.dispose]();
  assert.equal(client.activeCount, 0);
  const c = await send(newRequest({ authority: u.authority }).request);
  assert.equal((await readResponse(c)).body.length, 10_000);
  assert.equal(client.activeCount, 0);
});
