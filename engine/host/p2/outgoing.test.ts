/**
 * WASIp2 outgoing HTTP (`wasi:http/outgoing-handler`) against real upstreams on the loopback
 * interface: the host's functions called the way jco glue calls them (blocking calls awaited),
 * with wasmtime's error codes. See ../outgoing/error-codes.ts for the table they follow.
 */

import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { RECORD_TEXT_MAX, type OutgoingRecord } from '../outgoing/types.ts';
import { completedCall } from '../../../protocol/test-support.ts';
import { OutgoingClient } from '../outgoing/client.ts';
import {
  closedPort,
  readAll,
  startSilentServer,
  startTlsUpstream,
  TEST_CERT,
  upstreamsClosedAfterTests,
  recorder,
  assertTwoWholeAndHeld,
} from '../outgoing/test-support.ts';
import type { Fields } from './fields.ts';
import type { OutgoingBody } from './http-body.ts';
import type { OutgoingRequest, RequestOptions } from './http-client.ts';
import { httpErrorCode, type HttpErrorCode } from './http-error.ts';
import type { FutureTrailers, IncomingBody, IncomingResponse, Scheme } from './http-incoming.ts';
import { createP2Host } from './index.ts';
import { IoError } from './io-error.ts';
import { createOutgoingHandlerImports } from './outgoing-handler.ts';
import type { FutureIncomingResponse } from './outgoing-response.ts';
import type { OutputStream } from './streams.ts';
import { bytes, errOf, str } from './test-support.ts';
import { Waiter } from './wait.ts';

type Imports = Record<string, Record<string, unknown>>;

/** The host's `wasi:http/types`, as http-types.ts assembles it (the parts these tests call). */
interface HttpTypes {
  Fields: typeof Fields;
  OutgoingRequest: new (headers: Fields) => OutgoingRequest;
  RequestOptions: typeof RequestOptions;
  OutgoingBody: typeof OutgoingBody;
  IncomingBody: typeof IncomingBody;
}
type Handle = (request: OutgoingRequest, options: RequestOptions | undefined) => FutureIncomingResponse;

const httpTypes = (imports: Imports): HttpTypes => imports['wasi:http/types'] as unknown as HttpTypes;
const handleOf = (imports: Imports): Handle => (imports['wasi:http/outgoing-handler'] as { handle: Handle }).handle;

/** The `{ tag, val }` of an `err(payload)` a host call threw (result.ts); empty for anything else. */
function errPayload(e: unknown): { tag?: unknown; val?: unknown } {
  if (typeof e !== 'object' || e === null || !('payload' in e)) return {};
  const { payload } = e;
  if (typeof payload !== 'object' || payload === null) return {};
  return { tag: 'tag' in payload ? payload.tag : undefined, val: 'val' in payload ? payload.val : undefined };
}

/** The guest drops a resource: the glue calls its `[Symbol.dispose]`, which the declared type may
 * not show (the upstream body's stream is declared an InputStream). */
function drop(resource: object): void {
  const dispose = (resource as Partial<Disposable>)[Symbol.dispose];
  assert.ok(dispose, 'the resource has [Symbol.dispose]');
  dispose.call(resource);
}

/** Like `drop`, for a resource that may have no `[Symbol.dispose]` (then dropping does nothing). */
function dropIfDisposable(resource: object): void {
  (resource as Partial<Disposable>)[Symbol.dispose]?.();
}

const upstream = upstreamsClosedAfterTests();

function newHost(allow = true) {
  const { records, onRecord, recorded } = recorder();
  const host = createP2Host({ env: [], output: { write() {} }, allowOutgoingHttp: allow, onOutgoingRequest: onRecord });
  return { imports: host.imports, records, client: host.outgoing, recorded };
}

/** A host whose outgoing-handler has its own client, with `maxConcurrentRequests` of `max`. */
function limitedHost(max: number) {
  const { records, onRecord, recorded } = recorder();
  const client = new OutgoingClient({ allow: true, limits: { maxConcurrentRequests: max }, onRecord });
  const { imports } = newHost();
  const limited: Imports = {
    ...(imports as Imports),
    'wasi:http/outgoing-handler': createOutgoingHandlerImports(client, new Waiter()),
  };
  return { imports: limited, client, records, recorded };
}

/** Reads an `incoming-body`'s stream to `closed` (no error expected), then drops the stream. */
async function drain(body: IncomingBody): Promise<string> {
  const stream = body.stream();
  const chunks: Uint8Array[] = [];
  for (;;) {
    try {
      chunks.push(await stream.blockingRead(65536n));
    } catch (e) {
      assert.equal(errPayload(e).tag, 'closed', String(e));
      break;
    }
  }
  drop(stream);
  return str(Buffer.concat(chunks));
}

const isLimitReached = (e: unknown): boolean => errPayload(e).tag === 'connection-limit-reached';

interface SendSpec {
  method?: { tag: string; val?: string };
  scheme?: Scheme | undefined;
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
function send(
  imports: Imports,
  spec: SendSpec,
): { future: FutureIncomingResponse; body: OutgoingBody | null; out: OutputStream | null } {
  const types = httpTypes(imports);
  const headers = types.Fields.fromList((spec.headers ?? []).map(([n, v]) => [n, bytes(v)]));
  const request = new types.OutgoingRequest(headers);
  if (spec.method) request.setMethod(spec.method);
  if ('scheme' in spec) request.setScheme(spec.scheme);
  else request.setScheme({ tag: 'HTTP' });
  if (spec.authority !== undefined) request.setAuthority(spec.authority);
  request.setPathWithQuery(spec.path ?? '/');
  let body: OutgoingBody | null = null;
  let out: OutputStream | null = null;
  if (spec.body) {
    body = request.body();
    out = body.write();
    for (const chunk of spec.body) out.write(bytes(chunk));
    if (spec.finish) finishBody(imports, body, out, spec.trailers);
  }
  let options: RequestOptions | undefined;
  if (spec.options) {
    options = new types.RequestOptions();
    if (spec.options.connect !== undefined) options.setConnectTimeout(spec.options.connect);
    if (spec.options.firstByte !== undefined) options.setFirstByteTimeout(spec.options.firstByte);
    if (spec.options.betweenBytes !== undefined) options.setBetweenBytesTimeout(spec.options.betweenBytes);
  }
  const handle = handleOf(imports);
  return { future: handle(request, options), body, out };
}

function finishBody(imports: Imports, body: OutgoingBody, out: OutputStream, trailers?: Array<[string, string]>): void {
  const types = httpTypes(imports);
  dropIfDisposable(out);
  const t = trailers ? types.Fields.fromList(trailers.map(([n, v]) => [n, bytes(v)])) : undefined;
  types.OutgoingBody.finish(body, t);
}

/** `future-incoming-response`: waits, then `get` → the response or the error-code. */
async function awaitResponse(
  future: FutureIncomingResponse,
): Promise<{ response?: IncomingResponse; error?: HttpErrorCode }> {
  await future.subscribe().block();
  const got = future.get();
  assert.ok(got?.tag === 'ok', `ready and not taken before: ${JSON.stringify(got)}`);
  assert.deepEqual(future.get(), { tag: 'err', val: undefined }, 'a second get is err(())');
  return got.val.tag === 'ok' ? { response: got.val.val } : { error: got.val.val };
}

/** `future-trailers`: waits, then `get` → `ok(trailers)` (undefined: there were none) or `err(error-code)`. */
async function awaitTrailers(
  future: FutureTrailers,
): Promise<{ tag: 'ok'; val: Fields | undefined } | { tag: 'err'; val: HttpErrorCode }> {
  await future.subscribe().block();
  const got = future.get();
  assert.ok(got?.tag === 'ok', `ready and not taken before: ${JSON.stringify(got)}`);
  return got.val;
}

function headerMap(fields: Fields): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [name, value] of fields.entries()) (map[name] ??= []).push(str(value));
  return map;
}

/** Reads an incoming body to `closed`, then its trailers. `error` is the error-code a read failed with. */
interface ReadResponse {
  body: string;
  trailers: Record<string, string[]> | null;
  error?: HttpErrorCode;
  trailersError?: HttpErrorCode;
}

async function readResponse(imports: Imports, response: IncomingResponse): Promise<ReadResponse> {
  const types = httpTypes(imports);
  const body = response.consume();
  const stream = body.stream();
  const chunks: Uint8Array[] = [];
  let error: HttpErrorCode | undefined;
  for (;;) {
    try {
      chunks.push(await stream.blockingRead(65536n));
    } catch (e) {
      const payload = errPayload(e);
      if (payload.tag === 'closed') break;
      assert.equal(payload.tag, 'last-operation-failed', `unexpected read failure ${String(e)}`);
      assert.ok(payload.val instanceof IoError);
      error = httpErrorCode(payload.val);
    }
  }
  drop(stream);
  const got = await awaitTrailers(types.IncomingBody.finish(body));
  const result: ReadResponse = { body: str(Buffer.concat(chunks)), trailers: null };
  if (error !== undefined) result.error = error;
  if (got.tag === 'err') result.trailersError = got.val;
  else if (got.val !== undefined) result.trailers = headerMap(got.val);
  return result;
}

test('a GET with a body: the upstream sees method, path, host, headers and body; the guest gets status, headers and body', async () => {
  let seen!: { method: string | undefined; url: string | undefined; headers: IncomingHttpHeaders; body: string };
  const u = await upstream(async (req, res) => {
    const body = await readAll(req);
    seen = { method: req.method, url: req.url, headers: req.headers, body: body.toString() };
    res.writeHead(200, { 'content-type': 'text/plain', 'x-up': 'yes' });
    res.end(`echo:${body}`);
  });
  const { imports, records } = newHost();
  const { future } = send(imports, {
    authority: u.authority,
    path: '/p?q=1',
    headers: [
      ['x-a', '1'],
      ['X-B', '2'],
    ],
    body: ['hello ', 'body'],
    finish: true,
  });
  const { response } = await awaitResponse(future);
  assert.ok(response);
  assert.equal(response.status(), 200);
  const headers = headerMap(response.headers());
  assert.deepEqual(headers['x-up'], ['yes']);
  assert.deepEqual(
    errOf(() => response.headers().append('x', bytes('1'))),
    { tag: 'immutable' },
  );
  const { body, trailers } = await readResponse(imports, response);
  assert.equal(body, 'echo:hello body');
  assert.equal(trailers, null);
  assert.equal(seen.method, 'GET');
  assert.equal(seen.url, '/p?q=1');
  assert.equal(seen.headers.host, u.authority);
  assert.equal(seen.headers['x-a'], '1');
  assert.equal(seen.headers['x-b'], '2');
  assert.equal(
    seen.headers['transfer-encoding'],
    'chunked',
    'a body without content-length goes chunked, whatever the method',
  );
  assert.equal(seen.body, 'hello body');
  assert.equal(records.length, 1);
  const record = records[0] as OutgoingRecord;
  assert.deepEqual(
    { ...record, durationMs: 0 },
    completedCall({ authority: u.authority, path: '/p?q=1', requestBytes: 10, responseBytes: 15 }),
  );
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
  const { future, body, out } = send(imports, {
    method: { tag: 'post' },
    authority: u.authority,
    path: '/stream',
    body: [],
  });
  assert.ok(body && out);
  // Nothing written yet: the upstream answers the head as soon as the request head arrives.
  const { response } = await awaitResponse(future);
  assert.ok(response);
  assert.equal(response.status(), 201);
  const stream = response.consume().stream();
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
      assert.equal(errPayload(e).tag, 'closed');
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
  assert.deepEqual(
    entries.map(([n]) => n),
    ['x-kept', 'set-cookie', 'set-cookie'],
  );
  // What a header-copying proxy does: each one appended to a new, mutable fields.
  const types = httpTypes(imports);
  const copy = new types.Fields();
  for (const [name, value] of entries) copy.append(name, value);
  assert.deepEqual(headerMap(copy), { 'x-kept': ['1'], 'set-cookie': ['a=1', 'b=2'] });
  assert.equal((await readResponse(imports, response)).body, 'ok');
});

test("trailers: the upstream's reach the guest (forbidden ones removed); the guest's reach the upstream as hyper's client sends them (declared in `Trailer`, never content-length, set-cookie…)", async () => {
  const seen: Array<{
    trailerHeader: string | undefined;
    te: string | undefined;
    length: string | undefined;
    body: string;
    trailers: NodeJS.Dict<string>;
  }> = [];
  const u = await upstream(async (req, res) => {
    const body = (await readAll(req)).toString();
    seen.push({
      trailerHeader: req.headers.trailer,
      te: req.headers['transfer-encoding'],
      length: req.headers['content-length'],
      body,
      trailers: req.trailers,
    });
    res.writeHead(200, { trailer: 'x-checksum' });
    res.write('body');
    res.addTrailers({ 'x-checksum': 'abc', 'keep-alive': 'timeout=1' });
    res.end();
  });
  const { imports, records } = newHost();
  const trailers: Array<[string, string]> = [
    ['x-sent', 'yes'],
    ['x-undeclared', '1'],
    ['content-length', '4'],
    ['set-cookie', 'a=b'],
    ['x-twice', '1'],
    ['x-twice', '2'],
  ];
  const declared: Array<[string, string]> = [['trailer', 'X-Sent, content-length, set-cookie, x-twice']];
  const { future } = send(imports, {
    method: { tag: 'put' },
    authority: u.authority,
    headers: declared,
    body: ['data'],
    finish: true,
    trailers,
  });
  const { response } = await awaitResponse(future);
  assert.ok(response);
  const { body, trailers: got } = await readResponse(imports, response);
  assert.equal(body, 'body');
  assert.deepEqual(got, { 'x-checksum': ['abc'] });
  assert.equal(records[0]?.outcome, 'complete');
  // Declared and valid as trailers only, one value per name (the last).
  assert.deepEqual(seen[0], {
    trailerHeader: 'X-Sent, content-length, set-cookie, x-twice',
    te: 'chunked',
    length: undefined,
    body: 'data',
    trailers: { 'x-sent': 'yes', 'x-twice': '2' },
  });

  // No `Trailer` header: none are sent.
  const undeclared = await awaitResponse(
    send(imports, { method: { tag: 'put' }, authority: u.authority, body: ['data'], finish: true, trailers }).future,
  );
  assert.ok(undeclared.response);
  await readResponse(imports, undeclared.response);
  assert.deepEqual(seen[1]?.trailers, {});

  // A sized body has no room for trailers: they are dropped, and so is its `Trailer` header (Node
  // refuses to send one without chunked framing; hyper sends it, then no trailers).
  const sized = await awaitResponse(
    send(imports, {
      method: { tag: 'put' },
      authority: u.authority,
      headers: [...declared, ['content-length', '4']],
      body: ['data'],
      finish: true,
      trailers,
    }).future,
  );
  assert.ok(sized.response);
  await readResponse(imports, sized.response);
  assert.deepEqual(seen[2], { trailerHeader: undefined, te: undefined, length: '4', body: 'data', trailers: {} });
  // …and a request without a body too.
  const bodiless = await awaitResponse(send(imports, { authority: u.authority, headers: declared }).future);
  assert.ok(bodiless.response);
  await readResponse(imports, bodiless.response);
  assert.deepEqual(seen[3], { trailerHeader: undefined, te: undefined, length: undefined, body: '', trailers: {} });
  assert.deepEqual(
    records.map((r) => r.outcome),
    ['complete', 'complete', 'complete', 'complete'],
  );
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
  const types = httpTypes(imports);
  const got = await awaitTrailers(types.IncomingBody.finish(response.consume()));
  assert.ok(got.tag === 'ok' && got.val !== undefined, 'trailers arrived');
  assert.deepEqual(headerMap(got.val), { 'x-t': ['1'] });
  assert.equal(records[0]?.responseBytes, 100_000);
});

test('404 and 500 from the upstream pass through as responses', async () => {
  const u = await upstream((req, res) => {
    const status = req.url === '/missing' ? 404 : 500;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`status ${status}`);
  });
  const { imports, records } = newHost();
  for (const [path, status] of [
    ['/missing', 404],
    ['/boom', 500],
  ] as const) {
    const { response } = await awaitResponse(send(imports, { authority: u.authority, path }).future);
    assert.ok(response);
    assert.equal(response.status(), status);
    assert.equal((await readResponse(imports, response)).body, `status ${status}`);
  }
  assert.deepEqual(
    records.map((r) => [r.status, r.outcome, r.error]),
    [
      [404, 'complete', null],
      [500, 'complete', null],
    ],
  );
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
  assert.deepEqual(
    records.map((r) => [r.outcome, r.error?.tag, r.status]),
    [
      ['failed', 'connection-refused', null],
      ['failed', 'DNS-error', null],
      ['failed', 'TLS-protocol-error', null],
    ],
  );
  // The host's user gets what the network said.
  assert.match(records[0]?.error?.detail ?? '', /ECONNREFUSED/);
  assert.match(records[1]?.error?.detail ?? '', /ENOTFOUND|EAI_AGAIN/);
  assert.match(records[2]?.error?.detail ?? '', /wrong version number|packet length/i);
});

test("https: an untrusted certificate is a TLS-protocol-error; a trusted one works (Node's CA store, plus a test CA)", async () => {
  const secure = await startTlsUpstream((_req, res) => res.end('secret'));
  upstream.add(secure);
  const { imports } = newHost();
  const untrusted = await awaitResponse(
    send(imports, { scheme: { tag: 'HTTPS' }, authority: secure.authority }).future,
  );
  assert.deepEqual(untrusted.error, { tag: 'TLS-protocol-error' });

  const waiter = new Waiter();
  const client = new OutgoingClient({ allow: true, tls: { ca: TEST_CERT } });
  const handler = createOutgoingHandlerImports(client, waiter);
  const trusting = { ...imports, 'wasi:http/outgoing-handler': handler };
  // No scheme at all: wasmtime's default is https.
  const { response } = await awaitResponse(
    send(trusting, { scheme: undefined, authority: `localhost:${secure.port}` }).future,
  );
  assert.ok(response);
  assert.equal((await readResponse(imports, response)).body, 'secret');
});

test('timeouts from request-options: first byte and between bytes are connection-read-timeout; a stalled TLS handshake is connection-timeout', async () => {
  const silent = await startSilentServer();
  upstream.add(silent);
  const { imports, records } = newHost();
  const firstByte = await awaitResponse(
    send(imports, { authority: silent.authority, options: { firstByte: 50_000_000n } }).future,
  );
  assert.deepEqual(firstByte.error, { tag: 'connection-read-timeout' });

  const handshake = await awaitResponse(
    send(imports, { scheme: { tag: 'HTTPS' }, authority: silent.authority, options: { connect: 50_000_000n } }).future,
  );
  assert.deepEqual(handshake.error, { tag: 'connection-timeout' });

  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  const u = await upstream((_req, res) => {
    res.writeHead(200);
    res.write('part');
    void stalled.then(() => res.end());
  });
  const { response } = await awaitResponse(
    send(imports, { authority: u.authority, options: { betweenBytes: 50_000_000n } }).future,
  );
  assert.ok(response);
  const read = await readResponse(imports, response);
  release();
  assert.equal(read.body, 'part', 'what arrived is read first');
  assert.deepEqual(read.error, { tag: 'connection-read-timeout' });
  assert.deepEqual(read.trailersError, { tag: 'connection-read-timeout' });
  assert.deepEqual(
    records.map((r) => r.error?.tag),
    ['connection-read-timeout', 'connection-timeout', 'connection-read-timeout'],
  );
});

test('denied without --allow-http: HTTP-request-denied at once, recorded; the body stream is closed', async () => {
  const { imports, records } = newHost(false);
  const types = httpTypes(imports);
  const request = new types.OutgoingRequest(new types.Fields());
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority('127.0.0.1:9');
  request.setPathWithQuery('/x');
  const body = request.body();
  const out = body.write();
  const handle = handleOf(imports);
  assert.deepEqual(
    errOf(() => handle(request, undefined)),
    { tag: 'HTTP-request-denied' },
  );
  assert.deepEqual(
    errOf(() => out.checkWrite()),
    { tag: 'closed' },
  );
  assert.equal(records.length, 1);
  assert.deepEqual(
    { ...records[0], error: { ...records[0]!.error, detail: '' } },
    {
      method: 'GET',
      scheme: 'http',
      authority: '127.0.0.1:9',
      path: '/x',
      status: null,
      durationMs: 0,
      outcome: 'failed',
      error: { tag: 'HTTP-request-denied', detail: '' },
      requestBytes: 0,
      responseBytes: 0,
    },
  );
  assert.match(records[0]?.error?.detail ?? '', /--allow-http/);
});

test('refused at once as wasmtime does: no authority, an unsupported scheme; setters refuse bad ports', () => {
  const { imports, records } = newHost();
  const types = httpTypes(imports);
  const handle = handleOf(imports);
  const noAuthority = new types.OutgoingRequest(new types.Fields());
  noAuthority.setScheme({ tag: 'HTTP' });
  assert.deepEqual(
    errOf(() => handle(noAuthority, undefined)),
    { tag: 'HTTP-request-URI-invalid' },
  );
  const ftp = new types.OutgoingRequest(new types.Fields());
  ftp.setScheme({ tag: 'other', val: 'ftp' });
  ftp.setAuthority('127.0.0.1:21');
  assert.deepEqual(
    errOf(() => handle(ftp, undefined)),
    { tag: 'HTTP-protocol-error' },
  );
  const request = new types.OutgoingRequest(new types.Fields());
  for (const bad of ['example.com:', 'example.com:abc', 'example.com:65536', '[::1]:x', '']) {
    assert.deepEqual(
      errOf(() => request.setAuthority(bad)),
      undefined,
      bad,
    );
  }
  for (const good of ['example.com', '127.0.0.1:80', '[::1]', '[::1]:443']) request.setAuthority(good);
  assert.deepEqual(
    records.map((r) => r.error?.tag),
    ['HTTP-request-URI-invalid', 'HTTP-protocol-error'],
  );
});

test('a body that breaks its content-length fails the request with HTTP-protocol-error', async () => {
  const u = await upstream(async (req, res) => {
    await readAll(req).catch(() => undefined);
    res.end('never');
  });
  const { imports } = newHost();
  const { future, body, out } = send(imports, {
    method: { tag: 'post' },
    authority: u.authority,
    headers: [['content-length', '10']],
    body: ['short'],
  });
  assert.ok(body && out);
  const types = httpTypes(imports);
  dropIfDisposable(out);
  assert.deepEqual(
    errOf(() => types.OutgoingBody.finish(body, undefined)),
    { tag: 'HTTP-request-body-size', val: 5n },
  );
  const { error } = await awaitResponse(future);
  assert.deepEqual(error, { tag: 'HTTP-protocol-error' });
});

/** An upstream that never answers: settles `requestArrived` at the request, `connectionClosed` when its connection closes. */
async function upstreamNeverAnswering() {
  const requestArrived = Promise.withResolvers<void>();
  const connectionClosed = Promise.withResolvers<void>();
  const u = await upstream((req) => {
    req.socket.on('close', () => connectionClosed.resolve());
    requestArrived.resolve();
  });
  return { u, requestArrived: requestArrived.promise, connectionClosed: connectionClosed.promise };
}

test('dropping the future lets go of the request: the upstream sees its connection close', async () => {
  const { u, requestArrived, connectionClosed } = await upstreamNeverAnswering();
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
  upstream.add(silent);
  const client = new OutgoingClient({ allow: true, limits: { maxConcurrentRequests: 2 } });
  const { imports } = newHost();
  const limited = { ...imports, 'wasi:http/outgoing-handler': createOutgoingHandlerImports(client, new Waiter()) };
  const a = send(limited, { authority: silent.authority });
  const b = send(limited, { authority: silent.authority });
  assert.throws(() => send(limited, { authority: silent.authority }), isLimitReached);
  a.future[Symbol.dispose]();
  const c = send(limited, { authority: silent.authority });
  b.future[Symbol.dispose]();
  c.future[Symbol.dispose]();
  assert.equal(client.activeCount, 0);
});

test('an instance that goes away closes its connections (the host signal aborts)', async () => {
  const { u, requestArrived, connectionClosed } = await upstreamNeverAnswering();
  const controller = new AbortController();
  const records: OutgoingRecord[] = [];
  const host = createP2Host({
    env: [],
    output: { write() {} },
    allowOutgoingHttp: true,
    signal: controller.signal,
    onOutgoingRequest: (r) => records.push(r),
  });
  send(host.imports, { authority: u.authority });
  await requestArrived;
  controller.abort(new Error('disposed'));
  await connectionClosed;
  assert.equal(records[0]?.outcome, 'dropped');
});

test('an outgoing-body dropped without finish fails the request with HTTP-protocol-error; the upstream sees it cut off, never complete', async () => {
  const deferred = <T>() => {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  };
  const dataArrived = [deferred<void>(), deferred<void>()];
  const seen = [deferred<{ complete: boolean; body: string }>(), deferred<{ complete: boolean; body: string }>()];
  let requests = 0;
  const u = await upstream((req, res) => {
    const i = requests++;
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
      dataArrived[i]?.resolve();
    });
    req.on('error', () => {});
    req.on('close', () => seen[i]?.resolve({ complete: req.complete, body }));
    if (req.url === '/answers-first') {
      res.writeHead(200);
      res.flushHeaders();
    } else {
      req.on('end', () => res.end('took it as complete'));
    }
  });
  const { imports, records } = newHost();

  // Before any answer: the future fails.
  const before = send(imports, {
    method: { tag: 'post' },
    authority: u.authority,
    path: '/waits',
    body: ['PARTIAL-UPLOAD'],
  });
  await dataArrived[0]!.promise;
  assert.ok(before.body && before.out);
  dropIfDisposable(before.out);
  drop(before.body);
  assert.deepEqual((await awaitResponse(before.future)).error, { tag: 'HTTP-protocol-error' });
  assert.deepEqual(await seen[0]!.promise, { complete: false, body: 'PARTIAL-UPLOAD' });
  assert.equal(records[0]?.outcome, 'failed');
  assert.equal(records[0]?.error?.tag, 'HTTP-protocol-error');

  // After the head: the response body fails, its connection gone.
  const after = send(imports, {
    method: { tag: 'post' },
    authority: u.authority,
    path: '/answers-first',
    body: ['PART'],
  });
  const { response } = await awaitResponse(after.future);
  assert.ok(response);
  await dataArrived[1]!.promise;
  assert.ok(after.body && after.out);
  dropIfDisposable(after.out);
  drop(after.body);
  const read = await readResponse(imports, response);
  assert.deepEqual(read.error, { tag: 'HTTP-protocol-error' });
  assert.deepEqual(read.trailersError, { tag: 'HTTP-protocol-error' });
  assert.deepEqual(await seen[1]!.promise, { complete: false, body: 'PART' });
});

test("what a guest keeps unread counts against the instance's bound until it lets go: reading the body to the end, or dropping, frees the slot", async () => {
  const u = await upstream((req, res) => {
    if (req.url === '/trailers') {
      res.writeHead(200, { trailer: 'x-t' });
      res.write('with trailers');
      res.addTrailers({ 'x-t': '1' });
      res.end();
      return;
    }
    res.end('x'.repeat(10_000));
  });
  const { imports, client, records, recorded } = limitedHost(2);
  const types = httpTypes(imports);

  // A: the response taken and its body consumed, nothing read.
  const a = await awaitResponse(send(imports, { authority: u.authority }).future);
  assert.ok(a.response);
  const aBody = a.response.consume();
  // B: the future never asked.
  const b = send(imports, { authority: u.authority }).future;
  await recorded(2);
  assertTwoWholeAndHeld(records, client);
  assert.throws(() => send(imports, { authority: u.authority }), isLimitReached);

  // Reading A's body to the end lets go of A; dropping B's future lets go of B.
  assert.equal(await drain(aBody), 'x'.repeat(10_000));
  assert.equal(client.activeCount, 1);
  b[Symbol.dispose]();
  assert.equal(client.activeCount, 0);

  // With trailers: read to the end is let go of too (a componentize-js guest never takes them nor
  // drops the body); they are still there for a guest that asks.
  const c = await awaitResponse(send(imports, { authority: u.authority, path: '/trailers' }).future);
  assert.ok(c.response);
  const cBody = c.response.consume();
  assert.equal(await drain(cBody), 'with trailers');
  assert.equal(client.activeCount, 0);
  const trailers = await awaitTrailers(types.IncomingBody.finish(cBody));
  assert.ok(trailers.tag === 'ok' && trailers.val !== undefined, 'trailers arrived');
  assert.deepEqual(headerMap(trailers.val), { 'x-t': ['1'] });

  // Dropped: the response before consume, the body before the end, the future-trailers.
  const d = await awaitResponse(send(imports, { authority: u.authority }).future);
  drop(d.response!);
  const e = await awaitResponse(send(imports, { authority: u.authority }).future);
  drop(e.response!.consume());
  assert.equal(client.activeCount, 0);
  const f = await awaitResponse(send(imports, { authority: u.authority, path: '/trailers' }).future);
  const fTrailers = types.IncomingBody.finish(f.response!.consume());
  assert.equal(client.activeCount, 1);
  fTrailers[Symbol.dispose]();
  assert.equal(client.activeCount, 0);
  // A request that failed before a head holds nothing.
  const refused = await awaitResponse(send(imports, { authority: `127.0.0.1:${await closedPort()}` }).future);
  assert.deepEqual(refused.error, { tag: 'connection-refused' });
  assert.equal(client.activeCount, 0);
});

test('a guest looping handle() and keeping every response unread is held at 32 (the default bound), not let grow', async () => {
  const payload = Buffer.alloc(200 * 1024, 120);
  const u = await upstream((_req, res) => res.end(payload));
  const { imports, client, recorded } = newHost();
  const held: IncomingBody[] = [];
  for (let i = 0; i < 32; i++) {
    const { response } = await awaitResponse(send(imports, { authority: u.authority }).future);
    assert.ok(response);
    held.push(response.consume());
  }
  await recorded(32);
  assert.equal(client.activeCount, 32);
  assert.throws(() => send(imports, { authority: u.authority }), isLimitReached);
  for (const body of held) drop(body);
  assert.equal(client.activeCount, 0);
  const { response } = await awaitResponse(send(imports, { authority: u.authority }).future);
  assert.ok(response);
  assert.equal((await readResponse(imports, response)).body.length, payload.length);
  assert.equal(client.activeCount, 0);
});

test('an upstream head of 5,000 small fields (and a trailer section of 1,500) reaches the guest whole; a head or trailer section past 64 KiB as sent is HTTP-protocol-error, never cut short', async () => {
  const u = await upstream((req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
    let head = 'HTTP/1.1 200 OK\r\n';
    if (req.url?.startsWith('/trailers')) {
      let trailers = '';
      for (let i = 0; i < n; i++) trailers += `t${i}: v\r\n`;
      res.socket?.end(`${head}Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n${trailers}\r\n`);
      return;
    }
    for (let i = 0; i < n; i++) head += `h${i}: v\r\n`;
    res.socket?.end(`${head}Content-Length: 2\r\n\r\nok`);
  });
  const { imports, records } = newHost();
  const { response } = await awaitResponse(send(imports, { authority: u.authority, path: '/?n=5000' }).future);
  assert.ok(response);
  const entries = response.headers().entries();
  assert.equal(entries.length, 5001);
  assert.equal(entries[4999]?.[0], 'h4999');
  assert.equal((await readResponse(imports, response)).body, 'ok');

  const withTrailers = await awaitResponse(send(imports, { authority: u.authority, path: '/trailers?n=1500' }).future);
  assert.ok(withTrailers.response);
  const read = await readResponse(imports, withTrailers.response);
  assert.equal(read.body, 'ok');
  assert.equal(Object.keys(read.trailers ?? {}).length, 1500);

  // 8,000 fields are about 78 KB as sent (Node's parser, counting names and values only, would
  // take them): over the bound, for a head and for trailers alike.
  const tooBig = await awaitResponse(send(imports, { authority: u.authority, path: '/?n=8000' }).future);
  assert.deepEqual(tooBig.error, { tag: 'HTTP-protocol-error' });
  const tooManyTrailers = await awaitResponse(
    send(imports, { authority: u.authority, path: '/trailers?n=8000' }).future,
  );
  assert.ok(tooManyTrailers.response);
  const cut = await readResponse(imports, tooManyTrailers.response);
  assert.equal(cut.trailers, null);
  assert.deepEqual(cut.trailersError, { tag: 'HTTP-protocol-error' });
  assert.deepEqual(
    records.map((r) => r.outcome),
    ['complete', 'complete', 'failed', 'failed'],
  );
  assert.match(records[2]?.error?.detail ?? '', /the response head is larger than 65536 bytes/);
  assert.match(records[3]?.error?.detail ?? '', /the response trailers are larger than 65536 bytes/);
});

test('records keep at most RECORD_TEXT_MAX characters of each text, cut with a marker: a refused request with megabytes of path, method and authority', () => {
  for (const allow of [false, true]) {
    const { imports, records } = newHost(allow);
    const types = httpTypes(imports);
    const request = new types.OutgoingRequest(new types.Fields());
    request.setMethod({ tag: 'other', val: 'M'.repeat(100_000) });
    request.setScheme({ tag: 'HTTP' });
    request.setAuthority('a'.repeat(100_000));
    // `"` passes the setter (as in wasmtime) but not `http`'s request-target: URI-invalid when allowed.
    request.setPathWithQuery(`/"${'x'.repeat(5_000_000)}`);
    const handle = handleOf(imports);
    assert.deepEqual(
      errOf(() => handle(request, undefined)),
      { tag: allow ? 'HTTP-request-URI-invalid' : 'HTTP-request-denied' },
    );
    const record = records[0] as OutgoingRecord;
    for (const text of [record.method, record.authority, record.path, record.error?.detail ?? '']) {
      assert.ok(text.length <= RECORD_TEXT_MAX, `${text.length} characters`);
      assert.match(text, /…\[\d+ more characters\]$/);
    }
    assert.ok(record.path.startsWith(`/"${'x'.repeat(1000)}`));
    assert.match(record.path, /…\[\d+ more characters\]$/);
    if (!allow)
      assert.match(
        record.error?.detail ?? '',
        /^outgoing HTTP is denied \(start with --allow-http to allow it\): http:\/\/a{100}/,
      );
  }
});
