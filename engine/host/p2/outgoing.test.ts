/**
 * WASIp2 outgoing HTTP (`wasi:http/outgoing-handler`) against real upstreams on the loopback
 * interface: the host's functions called the way jco glue calls them (blocking calls awaited),
 * with wasmtime's error codes. See ../outgoing/error-codes.ts for the table they follow.
 */

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { OutgoingRecord } from '../outgoing/types.ts';
import { OutgoingClient } from '../outgoing/client.ts';
import {
  closedPort,
  readAll,
  startSilentServer,
  startTlsUpstream,
  startUpstream,
  TEST_CERT,
  type Upstream,
} from '../outgoing/test-support.ts';
import type { Fields } from './fields.ts';
import { httpErrorCode } from './http-error.ts';
import type { IncomingResponse } from './http-incoming.ts';
import { createP2Host } from './index.ts';
import { IoError } from './io-error.ts';
import { createOutgoingHandlerImports } from './outgoing-handler.ts';
import type { Pollable } from './poll.ts';
import { bytes, errOf, str } from './test-support.ts';
import { Waiter } from './wait.ts';

type Imports = Record<string, Record<string, unknown>>;
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const upstreams: Upstream[] = [];
after(async () => {
  for (const upstream of upstreams) await upstream.close();
});
async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(handler);
  upstreams.push(u);
  return u;
}

function newHost(allow = true) {
  const records: OutgoingRecord[] = [];
  const host = createP2Host({ env: [], output: { write() {} }, allowOutgoingHttp: allow, onOutgoingRequest: (r) => records.push(r) });
  return { imports: host.imports, records, client: host.outgoing };
}

interface SendSpec {
  method?: { tag: string; val?: string };
  scheme?: { tag: string; val?: string } | undefined;
  authority?: string | undefined;
  path?: string;
  headers?: Array<[string, string]>;
  /** Chunks written before `handle`; with `finish`, the body is finished then. */
  body?: string[];
  finish?: boolean;
  trailers?: Array<[string, string]>;
  options?: { connect?: bigint; firstByte?: bigint; betweenBytes?: bigint };
}

/** Builds a request with the host's own constructors and hands it to `handle`. Returns the
 * future, and the request's outgoing-body (if it took one) and output stream. */
function send(imports: Imports, spec: SendSpec): { future: Any; body: Any; out: Any } {
  const types = imports['wasi:http/types'] as Any;
  const headers = types.Fields.fromList((spec.headers ?? []).map(([n, v]) => [n, bytes(v)]));
  const request = new types.OutgoingRequest(headers);
  if (spec.method) request.setMethod(spec.method);
  if ('scheme' in spec) request.setScheme(spec.scheme);
  else request.setScheme({ tag: 'HTTP' });
  if (spec.authority !== undefined) request.setAuthority(spec.authority);
  request.setPathWithQuery(spec.path ?? '/');
  let body: Any = null;
  let out: Any = null;
  if (spec.body) {
    body = request.body();
    out = body.write();
    for (const chunk of spec.body) out.write(bytes(chunk));
    if (spec.finish) finishBody(imports, body, out, spec.trailers);
  }
  let options: Any;
  if (spec.options) {
    options = new types.RequestOptions();
    if (spec.options.connect !== undefined) options.setConnectTimeout(spec.options.connect);
    if (spec.options.firstByte !== undefined) options.setFirstByteTimeout(spec.options.firstByte);
    if (spec.options.betweenBytes !== undefined) options.setBetweenBytesTimeout(spec.options.betweenBytes);
  }
  const handle = (imports['wasi:http/outgoing-handler'] as Any).handle;
  return { future: handle(request, options), body, out };
}

function finishBody(imports: Imports, body: Any, out: Any, trailers?: Array<[string, string]>): void {
  const types = imports['wasi:http/types'] as Any;
  out[Symbol.dispose]?.();
  const t = trailers ? types.Fields.fromList(trailers.map(([n, v]) => [n, bytes(v)])) : undefined;
  types.OutgoingBody.finish(body, t);
}

/** `future-incoming-response`: waits, then `get` → the response or the error-code. */
async function awaitResponse(future: Any): Promise<{ response?: IncomingResponse; error?: Any }> {
  await (future.subscribe() as Pollable).block();
  const got = future.get();
  assert.equal(got.tag, 'ok');
  assert.deepEqual(future.get(), { tag: 'err', val: undefined }, 'a second get is err(())');
  return got.val.tag === 'ok' ? { response: got.val.val } : { error: got.val.val };
}

function headerMap(fields: Fields): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [name, value] of fields.entries()) (map[name] ??= []).push(str(value));
  return map;
}

/** Reads an incoming body to `closed`, then its trailers. `error` is the error-code a read failed with. */
async function readResponse(imports: Imports, response: IncomingResponse): Promise<{ body: string; trailers: Record<string, string[]> | null; error?: Any; trailersError?: Any }> {
  const types = imports['wasi:http/types'] as Any;
  const body = response.consume() as Any;
  const stream = body.stream();
  const chunks: Uint8Array[] = [];
  let error: Any;
  for (;;) {
    try {
      chunks.push(await stream.blockingRead(65536n));
    } catch (e) {
      const payload = (e as Any).payload;
      if (payload?.tag === 'closed') break;
      assert.equal(payload?.tag, 'last-operation-failed', `unexpected read failure ${String(e)}`);
      assert.ok(payload.val instanceof IoError);
      error = httpErrorCode(payload.val);
    }
  }
  stream[Symbol.dispose]();
  const future = types.IncomingBody.finish(body);
  await (future.subscribe() as Pollable).block();
  const got = future.get();
  assert.equal(got.tag, 'ok');
  const result: { body: string; trailers: Record<string, string[]> | null; error?: Any; trailersError?: Any } = {
    body: str(Buffer.concat(chunks)),
    trailers: null,
  };
  if (error !== undefined) result.error = error;
  if (got.val.tag === 'err') result.trailersError = got.val.val;
  else if (got.val.val !== undefined) result.trailers = headerMap(got.val.val);
  return result;
}

test('a GET with a body: the upstream sees method, path, host, headers and body; the guest gets status, headers and body', async () => {
  let seen: Any;
  const u = await upstream(async (req, res) => {
    const body = await readAll(req);
    seen = { method: req.method, url: req.url, headers: req.headers, body: body.toString() };
    res.writeHead(200, { 'content-type': 'text/plain', 'x-up': 'yes' });
    res.end(`echo:${body}`);
  });
  const { imports, records } = newHost();
  const { future } = send(imports, { authority: u.authority, path: '/p?q=1', headers: [['x-a', '1'], ['X-B', '2']], body: ['hello ', 'body'], finish: true });
  const { response } = await awaitResponse(future);
  assert.ok(response);
  assert.equal(response.status(), 200);
  const headers = headerMap(response.headers());
  assert.deepEqual(headers['x-up'], ['yes']);
  assert.deepEqual(errOf(() => response.headers().append('x', bytes('1'))), { tag: 'immutable' });
  const { body, trailers } = await readResponse(imports, response);
  assert.equal(body, 'echo:hello body');
  assert.equal(trailers, null);
  assert.equal(seen.method, 'GET');
  assert.equal(seen.url, '/p?q=1');
  assert.equal(seen.headers.host, u.authority);
  assert.equal(seen.headers['x-a'], '1');
  assert.equal(seen.headers['x-b'], '2');
  assert.equal(seen.headers['transfer-encoding'], 'chunked', 'a body without content-length goes chunked, whatever the method');
  assert.equal(seen.body, 'hello body');
  assert.equal(records.length, 1);
  const record = records[0] as OutgoingRecord;
  assert.deepEqual({ ...record, durationMs: 0 }, {
    method: 'GET', scheme: 'http', authority: u.authority, path: '/p?q=1', status: 200, durationMs: 0,
    outcome: 'complete', error: null, requestBytes: 10, responseBytes: 15,
  });
  assert.ok(record.durationMs >= 0);
});

test('a POST body streams both ways: the guest writes after handle, reads each echo before writing on', async () => {
  const u = await upstream((req, res) => {
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.flushHeaders();
    req.on('data', (chunk: Buffer) => res.write(`<${chunk.toString()}>`));
    req.on('end', () => res.end('done'));
  });
  const { imports, records } = newHost();
  const { future, body, out } = send(imports, { method: { tag: 'post' }, authority: u.authority, path: '/stream', body: [] });
  // Nothing written yet: the upstream answers the head as soon as the request head arrives.
  const { response } = await awaitResponse(future);
  assert.ok(response);
  assert.equal(response.status(), 201);
  const stream = (response.consume() as Any).stream();
  let echoed = '';
  for (const part of ['one', 'two', 'three']) {
    await out.blockingWriteAndFlush(bytes(part));
    // Each echo arrives while the request body is still open: both bodies stream.
    while (!echoed.endsWith(`<${part}>`)) echoed += str(await stream.blockingRead(1024n));
  }
  finishBody(imports, body, out);
  for (;;) {
    try {
      echoed += str(await stream.blockingRead(1024n));
    } catch (e) {
      assert.equal((e as Any).payload?.tag, 'closed');
      break;
    }
  }
  assert.equal(echoed, '<one><two><three>done');
  assert.equal(records[0]?.requestBytes, 11);
  assert.equal(records[0]?.outcome, 'complete');
});

test('hop-by-hop headers from the upstream never reach the guest; copying every header into new fields works', async () => {
  const u = await upstream((_req, res) => {
    // Raw, so that every one of them is on the wire as written.
    res.socket?.write(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n' +
        'Upgrade: h2c\r\nProxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n' +
        'Host: upstream.example\r\nX-Kept: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    );
    res.socket?.end();
  });
  const { imports } = newHost();
  const { response } = await awaitResponse(send(imports, { authority: u.authority }).future);
  assert.ok(response);
  const entries = response.headers().entries();
  assert.deepEqual(entries.map(([n]) => n), ['x-kept', 'set-cookie', 'set-cookie']);
  // What a header-copying proxy does: each one appended to a new, mutable fields.
  const types = imports['wasi:http/types'] as Any;
  const copy = new types.Fields();
  for (const [name, value] of entries) copy.append(name, value);
  assert.deepEqual(headerMap(copy), { 'x-kept': ['1'], 'set-cookie': ['a=1', 'b=2'] });
  assert.equal((await readResponse(imports, response)).body, 'ok');
});

test('trailers: the upstream\'s reach the guest (forbidden ones removed), the guest\'s reach the upstream', async () => {
  let seenTrailers: Any;
  const u = await upstream(async (req, res) => {
    await readAll(req);
    seenTrailers = req.trailers;
    res.writeHead(200, { trailer: 'x-checksum' });
    res.write('body');
    res.addTrailers({ 'x-checksum': 'abc', 'keep-alive': 'timeout=1' });
    res.end();
  });
  const { imports, records } = newHost();
  const { future } = send(imports, { method: { tag: 'put' }, authority: u.authority, body: ['data'], finish: true, trailers: [['x-sent', 'yes']] });
  const { response } = await awaitResponse(future);
  assert.ok(response);
  const { body, trailers } = await readResponse(imports, response);
  assert.equal(body, 'body');
  assert.deepEqual(trailers, { 'x-checksum': ['abc'] });
  assert.deepEqual(seenTrailers, { 'x-sent': 'yes' });
  assert.equal(records[0]?.outcome, 'complete');
});

test('trailers without reading the body: finish drops the rest and still gets them', async () => {
  const u = await upstream((_req, res) => {
    res.writeHead(200);
    res.write('x'.repeat(100_000));
    res.addTrailers({ 'x-t': '1' });
    res.end();
  });
  const { imports, records } = newHost();
  const { response } = await awaitResponse(send(imports, { authority: u.authority }).future);
  assert.ok(response);
  const types = imports['wasi:http/types'] as Any;
  const body = response.consume();
  const future = types.IncomingBody.finish(body);
  await (future.subscribe() as Pollable).block();
  const got = future.get();
  assert.deepEqual(headerMap(got.val.val), { 'x-t': ['1'] });
  assert.equal(records[0]?.responseBytes, 100_000);
});

test('404 and 500 from the upstream pass through as responses', async () => {
  const u = await upstream((req, res) => {
    const status = req.url === '/missing' ? 404 : 500;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`status ${status}`);
  });
  const { imports, records } = newHost();
  for (const [path, status] of [['/missing', 404], ['/boom', 500]] as const) {
    const { response } = await awaitResponse(send(imports, { authority: u.authority, path }).future);
    assert.ok(response);
    assert.equal(response.status(), status);
    assert.equal((await readResponse(imports, response)).body, `status ${status}`);
  }
  assert.deepEqual(records.map((r) => [r.status, r.outcome, r.error]), [[404, 'complete', null], [500, 'complete', null]]);
});

test('no redirect is followed', async () => {
  const u = await upstream((_req, res) => {
    res.writeHead(302, { location: '/elsewhere' });
    res.end();
  });
  const { imports } = newHost();
  const { response } = await awaitResponse(send(imports, { authority: u.authority }).future);
  assert.equal(response?.status(), 302);
  assert.deepEqual(headerMap(response!.headers()).location, ['/elsewhere']);
});

test('error codes: connection refused, DNS error, https to a plain-HTTP port', async () => {
  const plain = await upstream((_req, res) => res.end('plain'));
  const { imports, records } = newHost();
  const refused = await awaitResponse(send(imports, { authority: `127.0.0.1:${await closedPort()}` }).future);
  assert.deepEqual(refused.error, { tag: 'connection-refused' });
  const dns = await awaitResponse(send(imports, { authority: 'nonexistent.invalid' }).future);
  assert.deepEqual(dns.error, { tag: 'DNS-error', val: { rcode: 'address not available', infoCode: undefined } });
  const tls = await awaitResponse(send(imports, { scheme: { tag: 'HTTPS' }, authority: plain.authority }).future);
  assert.deepEqual(tls.error, { tag: 'TLS-protocol-error' }, 'no OpenSSL text reaches the guest');
  assert.deepEqual(records.map((r) => [r.outcome, r.error?.tag, r.status]), [
    ['failed', 'connection-refused', null],
    ['failed', 'DNS-error', null],
    ['failed', 'TLS-protocol-error', null],
  ]);
  // The host's user gets what the network said.
  assert.match(records[0]?.error?.detail ?? '', /ECONNREFUSED/);
  assert.match(records[1]?.error?.detail ?? '', /ENOTFOUND|EAI_AGAIN/);
  assert.match(records[2]?.error?.detail ?? '', /wrong version number|packet length/i);
});

test('https: an untrusted certificate is a TLS-protocol-error; a trusted one works (Node\'s CA store, plus a test CA)', async () => {
  const secure = await startTlsUpstream((_req, res) => res.end('secret'));
  upstreams.push(secure);
  const { imports } = newHost();
  const untrusted = await awaitResponse(send(imports, { scheme: { tag: 'HTTPS' }, authority: secure.authority }).future);
  assert.deepEqual(untrusted.error, { tag: 'TLS-protocol-error' });

  const waiter = new Waiter();
  const client = new OutgoingClient({ allow: true, tls: { ca: TEST_CERT } });
  const handler = createOutgoingHandlerImports(client, waiter);
  const trusting = { ...imports, 'wasi:http/outgoing-handler': handler };
  // No scheme at all: wasmtime's default is https.
  const { response } = await awaitResponse(send(trusting, { scheme: undefined, authority: `localhost:${secure.port}` }).future);
  assert.ok(response);
  assert.equal((await readResponse(imports, response)).body, 'secret');
});

test('timeouts from request-options: first byte and between bytes are connection-read-timeout; a stalled TLS handshake is connection-timeout', async () => {
  const silent = await startSilentServer();
  upstreams.push(silent);
  const { imports, records } = newHost();
  const firstByte = await awaitResponse(send(imports, { authority: silent.authority, options: { firstByte: 50_000_000n } }).future);
  assert.deepEqual(firstByte.error, { tag: 'connection-read-timeout' });

  const handshake = await awaitResponse(send(imports, { scheme: { tag: 'HTTPS' }, authority: silent.authority, options: { connect: 50_000_000n } }).future);
  assert.deepEqual(handshake.error, { tag: 'connection-timeout' });

  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  const u = await upstream((_req, res) => {
    res.writeHead(200);
    res.write('part');
    void stalled.then(() => res.end());
  });
  const { response } = await awaitResponse(send(imports, { authority: u.authority, options: { betweenBytes: 50_000_000n } }).future);
  assert.ok(response);
  const read = await readResponse(imports, response);
  release();
  assert.equal(read.body, 'part', 'what arrived is read first');
  assert.deepEqual(read.error, { tag: 'connection-read-timeout' });
  assert.deepEqual(read.trailersError, { tag: 'connection-read-timeout' });
  assert.deepEqual(records.map((r) => r.error?.tag), ['connection-read-timeout', 'connection-timeout', 'connection-read-timeout']);
});

test('denied without --allow-http: HTTP-request-denied at once, recorded; the body stream is closed', async () => {
  const { imports, records } = newHost(false);
  const types = imports['wasi:http/types'] as Any;
  const request = new types.OutgoingRequest(new types.Fields());
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority('127.0.0.1:9');
  request.setPathWithQuery('/x');
  const body = request.body();
  const out = body.write();
  const handle = (imports['wasi:http/outgoing-handler'] as Any).handle;
  assert.deepEqual(errOf(() => handle(request, undefined)), { tag: 'HTTP-request-denied' });
  assert.deepEqual(errOf(() => out.checkWrite()), { tag: 'closed' });
  assert.equal(records.length, 1);
  assert.deepEqual({ ...records[0], error: { ...records[0]!.error, detail: '' } }, {
    method: 'GET', scheme: 'http', authority: '127.0.0.1:9', path: '/x', status: null, durationMs: 0,
    outcome: 'failed', error: { tag: 'HTTP-request-denied', detail: '' }, requestBytes: 0, responseBytes: 0,
  });
  assert.match(records[0]?.error?.detail ?? '', /--allow-http/);
});

test('refused at once as wasmtime does: no authority, an unsupported scheme; setters refuse bad ports', () => {
  const { imports, records } = newHost();
  const types = imports['wasi:http/types'] as Any;
  const handle = (imports['wasi:http/outgoing-handler'] as Any).handle;
  const noAuthority = new types.OutgoingRequest(new types.Fields());
  noAuthority.setScheme({ tag: 'HTTP' });
  assert.deepEqual(errOf(() => handle(noAuthority, undefined)), { tag: 'HTTP-request-URI-invalid' });
  const ftp = new types.OutgoingRequest(new types.Fields());
  ftp.setScheme({ tag: 'other', val: 'ftp' });
  ftp.setAuthority('127.0.0.1:21');
  assert.deepEqual(errOf(() => handle(ftp, undefined)), { tag: 'HTTP-protocol-error' });
  const request = new types.OutgoingRequest(new types.Fields());
  for (const bad of ['example.com:', 'example.com:abc', 'example.com:65536', '[::1]:x', '']) {
    assert.deepEqual(errOf(() => request.setAuthority(bad)), undefined, bad);
  }
  for (const good of ['example.com', '127.0.0.1:80', '[::1]', '[::1]:443']) request.setAuthority(good);
  assert.deepEqual(records.map((r) => r.error?.tag), ['HTTP-request-URI-invalid', 'HTTP-protocol-error']);
});

test('a body that breaks its content-length fails the request with HTTP-protocol-error', async () => {
  const u = await upstream(async (req, res) => {
    await readAll(req).catch(() => undefined);
    res.end('never');
  });
  const { imports } = newHost();
  const { future, body, out } = send(imports, { method: { tag: 'post' }, authority: u.authority, headers: [['content-length', '10']], body: ['short'] });
  const types = imports['wasi:http/types'] as Any;
  out[Symbol.dispose]?.();
  assert.deepEqual(errOf(() => types.OutgoingBody.finish(body, undefined)), { tag: 'HTTP-request-body-size', val: 5n });
  const { error } = await awaitResponse(future);
  assert.deepEqual(error, { tag: 'HTTP-protocol-error' });
});

test('dropping the future lets go of the request: the upstream sees its connection close', async () => {
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const u = await upstream((req) => {
    req.socket.on('close', () => closed());
    arrived();
  });
  const { imports, records, client } = newHost();
  const { future } = send(imports, { authority: u.authority });
  await requestArrived;
  assert.equal(client.activeCount, 1);
  future[Symbol.dispose]();
  await connectionClosed;
  assert.equal(client.activeCount, 0);
  assert.equal(records[0]?.outcome, 'dropped');
});

test('at most maxConcurrentRequests in flight per instance: one more is connection-limit-reached', async () => {
  const silent = await startSilentServer();
  upstreams.push(silent);
  const client = new OutgoingClient({ allow: true, limits: { maxConcurrentRequests: 2 } });
  const { imports } = newHost();
  const limited = { ...imports, 'wasi:http/outgoing-handler': createOutgoingHandlerImports(client, new Waiter()) };
  const a = send(limited, { authority: silent.authority });
  const b = send(limited, { authority: silent.authority });
  assert.throws(() => send(limited, { authority: silent.authority }), (e: Any) => e.payload?.tag === 'connection-limit-reached');
  a.future[Symbol.dispose]();
  const c = send(limited, { authority: silent.authority });
  b.future[Symbol.dispose]();
  c.future[Symbol.dispose]();
  assert.equal(client.activeCount, 0);
});

test('an instance that goes away closes its connections (the host signal aborts)', async () => {
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const u = await upstream((req) => {
    req.socket.on('close', () => closed());
    arrived();
  });
  const controller = new AbortController();
  const records: OutgoingRecord[] = [];
  const host = createP2Host({ env: [], output: { write() {} }, allowOutgoingHttp: true, signal: controller.signal, onOutgoingRequest: (r) => records.push(r) });
  send(host.imports, { authority: u.authority });
  await requestArrived;
  controller.abort(new Error('disposed'));
  await connectionClosed;
  assert.equal(records[0]?.outcome, 'dropped');
});
