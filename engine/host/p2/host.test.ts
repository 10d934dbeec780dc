/** Unit tests of the WASIp2 host pieces, called the way jco glue calls them. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuestExit } from './api.ts';
import type { IncomingRequestInit } from '../../../base/http-exchange.ts';
import { Fields } from './fields.ts';
import { OutgoingBody, UNBOUND_BODY_LIMIT } from './http-body.ts';
import { OutgoingRequest } from './http-client.ts';
import { describeErrorCode, httpErrorCode } from './http-error.ts';
import { IncomingBody, IncomingRequest, type FutureTrailers } from './http-incoming.ts';
import { OutgoingResponse, ResponseOutparam } from './http-response.ts';
import { createP2Host } from './index.ts';
import { IoError } from './io-error.ts';
import { NEVER, Pollable } from './poll.ts';
import { InputStream, OutputStream, type WriteTarget } from './streams.ts';
import { bytes, errOf, errOfAsync, recordingSink, str, testWindow } from './test-support.ts';

type Fn = (...args: unknown[]) => unknown;
const noOutput = { write() {} };

function newHost(allowOutgoingHttp = false, output: { write: Fn } = noOutput) {
  return createP2Host({ env: [['INSTANCE_ID', '7']], output, allowOutgoingHttp });
}

/** A function from the import object, e.g. `fn(host, 'wasi:cli/exit', 'exit')`. */
function fn(host: ReturnType<typeof newHost>, iface: string, name: string): Fn {
  const f = host.imports[iface]?.[name];
  assert.equal(typeof f, 'function', `${iface}.${name}`);
  return f as Fn;
}

function requestInit(overrides: Partial<IncomingRequestInit> = {}): IncomingRequestInit {
  return {
    method: 'POST',
    scheme: 'http',
    authority: '127.0.0.1:8080',
    pathWithQuery: '/p?q=1',
    headers: [
      ['content-type', bytes('text/plain')],
      ['x-a', bytes('1')],
    ],
    body: bytes('hello body'),
    ...overrides,
  };
}

test('the import object covers every supported interface and nothing else', () => {
  const host = newHost();
  assert.deepEqual(new Set(Object.keys(host.imports)), host.supportedInterfaces);
  assert.equal(host.supportedInterfaces.size, 29);
});

test('fields: from-list validates names and values, normalizes names to lowercase', () => {
  const f = Fields.fromList([
    ['Content-Type', bytes('text/plain')],
    ['X-Multi', bytes('a')],
    ['x-multi', bytes('b')],
  ]);
  assert.deepEqual(
    f.entries().map(([n, v]) => [n, str(v)]),
    [
      ['content-type', 'text/plain'],
      ['x-multi', 'a'],
      ['x-multi', 'b'],
    ],
  );
  assert.deepEqual(f.get('X-MULTI').map(str), ['a', 'b']);
  assert.equal(f.has('content-TYPE'), true);
  assert.equal(f.has('nope'), false);
  assert.deepEqual(f.get('bad name'), []);
  assert.deepEqual(
    errOf(() => Fields.fromList([['bad name', bytes('v')]])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => Fields.fromList([['', bytes('v')]])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => Fields.fromList([['x', bytes('bad\nvalue')]])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => Fields.fromList([['x', Uint8Array.of(0x7f)]])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => Fields.fromList([['Connection', bytes('close')]])),
    { tag: 'forbidden' },
  );
  // Tabs and obs-text are allowed in values, as in wasmtime (hyper).
  assert.doesNotThrow(() => Fields.fromList([['x', Uint8Array.of(0x61, 0x09, 0xe9)]]));
});

test('fields: set, append, delete and clone on mutable fields', () => {
  const f = new Fields();
  f.append('A', bytes('1'));
  f.append('b', bytes('2'));
  f.append('a', bytes('3'));
  // An http::HeaderMap's order, as in wasmtime: a name's values stay together.
  assert.deepEqual(
    f.entries().map(([n, v]) => `${n}=${str(v)}`),
    ['a=1', 'a=3', 'b=2'],
  );
  f.set('a', [bytes('x'), bytes('y')]);
  assert.deepEqual(
    f.entries().map(([n, v]) => `${n}=${str(v)}`),
    ['a=x', 'a=y', 'b=2'],
  );
  f.delete('B');
  assert.deepEqual(
    f.entries().map(([n]) => n),
    ['a', 'a'],
  );
  const c = f.clone();
  c.append('c', bytes('z'));
  assert.equal(f.has('c'), false, 'a clone is independent');
  assert.deepEqual(
    errOf(() => f.append('host', bytes('h'))),
    { tag: 'forbidden' },
  );
  assert.deepEqual(
    errOf(() => f.set('a b', [])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => f.set('a', [bytes('\r')])),
    { tag: 'invalid-syntax' },
  );
  assert.deepEqual(
    errOf(() => f.delete('a b')),
    { tag: 'invalid-syntax' },
  );
});

test('fields: request headers and response headers are immutable views', () => {
  const req = new IncomingRequest(requestInit());
  const h = req.headers();
  assert.deepEqual(h.get('x-a').map(str), ['1']);
  assert.deepEqual(
    errOf(() => h.append('x-b', bytes('2'))),
    { tag: 'immutable' },
  );
  assert.deepEqual(
    errOf(() => h.set('x-a', [])),
    { tag: 'immutable' },
  );
  assert.deepEqual(
    errOf(() => h.delete('x-a')),
    { tag: 'immutable' },
  );
  // Syntax and forbidden checks come first, as in wasmtime.
  assert.deepEqual(
    errOf(() => h.delete('bad name')),
    { tag: 'invalid-syntax' },
  );
  h.clone().append('x-b', bytes('2')); // a clone is mutable

  const owned = Fields.fromList([['x-r', bytes('1')]]);
  const resp = new OutgoingResponse(owned);
  assert.deepEqual(
    errOf(() => owned.append('x-s', bytes('2'))),
    { tag: 'immutable' },
    'moved into the response',
  );
  assert.deepEqual(
    errOf(() => resp.headers().append('x-s', bytes('2'))),
    { tag: 'immutable' },
  );
  assert.deepEqual(resp.headers().get('x-r').map(str), ['1']);
});

test('incoming request: method, scheme, path, authority, headers without forbidden ones, body once', () => {
  const req = new IncomingRequest(
    requestInit({
      scheme: 'https',
      headers: [
        ['Host', bytes('h')],
        ['X-Up', bytes('1')],
        ['connection', bytes('close')],
      ],
    }),
  );
  assert.deepEqual(req.method(), { tag: 'post' });
  assert.deepEqual(new IncomingRequest(requestInit({ method: 'PURGE' })).method(), { tag: 'other', val: 'PURGE' });
  assert.deepEqual(req.scheme(), { tag: 'HTTPS' });
  assert.equal(req.pathWithQuery(), '/p?q=1');
  assert.equal(req.authority(), '127.0.0.1:8080');
  assert.deepEqual(
    req
      .headers()
      .entries()
      .map(([n]) => n),
    ['x-up'],
  );

  const body = req.consume();
  assert.deepEqual(
    errOf(() => req.consume()),
    undefined,
    'consume twice → err(())',
  );
  const stream = body.stream();
  assert.deepEqual(
    errOf(() => body.stream()),
    undefined,
  );
  assert.equal(str(stream.blockingRead(5n)), 'hello');
  assert.equal(str(stream.read(100n)), ' body');
  assert.deepEqual(
    errOf(() => stream.read(1n)),
    { tag: 'closed' },
  );
  const trailers: FutureTrailers = IncomingBody.finish(body);
  assert.equal(trailers.subscribe().ready(), true);
  assert.deepEqual(trailers.get(), { tag: 'ok', val: { tag: 'ok', val: undefined } });
  assert.deepEqual(trailers.get(), { tag: 'err', val: undefined });
});

test('streams: input skip/read, output write, zeroes, splice, always-ready pollables', async () => {
  const input = new InputStream(bytes('abcdef'));
  assert.equal(input.skip(2n), 2n);
  assert.equal(input.blockingSkip(0n), 0n);
  const written: string[] = [];
  let closed = false;
  const target: WriteTarget = {
    write: (b) => {
      if (closed) throw { payload: { tag: 'closed' } };
      written.push(str(b));
    },
    check: () => {
      if (closed) throw { payload: { tag: 'closed' } };
    },
  };
  const out = new OutputStream(target);
  assert.equal(out.checkWrite(), 1n << 20n);
  out.write(bytes('x'));
  await out.blockingWriteAndFlush(bytes('y'));
  out.write(new Uint8Array(0)); // no empty chunk reaches the target
  out.flush();
  out.blockingFlush();
  assert.equal(out.splice(input, 3n), 3n);
  assert.equal(await out.blockingSplice(input, 100n), 1n);
  assert.deepEqual(
    errOf(() => out.splice(input, 1n)),
    { tag: 'closed' },
  );
  out.writeZeroes(2n);
  await out.blockingWriteZeroesAndFlush(1n);
  assert.deepEqual(written, ['x', 'y', 'cde', 'f', '\0\0', '\0']);
  assert.equal(out.subscribe().ready(), true);
  assert.equal(input.subscribe().ready(), true);
  closed = true;
  assert.deepEqual(
    errOf(() => out.checkWrite()),
    { tag: 'closed' },
  );
  assert.deepEqual(
    errOf(() => out.blockingFlush()),
    { tag: 'closed' },
  );
  assert.deepEqual(await errOfAsync(() => out.blockingWriteAndFlush(bytes('z'))), { tag: 'closed' });
});

test('sockets are denied; nothing is preopened by default (filesystem.test.ts has --dir)', () => {
  const host = newHost();
  assert.equal(
    errOf(() => fn(host, 'wasi:sockets/tcp-create-socket', 'createTcpSocket')('ipv4')),
    'access-denied',
  );
  assert.equal(
    errOf(() => fn(host, 'wasi:sockets/udp-create-socket', 'createUdpSocket')('ipv6')),
    'access-denied',
  );
  const network = fn(host, 'wasi:sockets/instance-network', 'instanceNetwork')();
  assert.equal(
    errOf(() => fn(host, 'wasi:sockets/ip-name-lookup', 'resolveAddresses')(network, 'example.com')),
    'access-denied',
  );
  assert.deepEqual(fn(host, 'wasi:filesystem/preopens', 'getDirectories')(), []);
  // A descriptor the host did not make stands for nothing.
  const Descriptor = host.imports['wasi:filesystem/types']?.['Descriptor'] as new () => Record<string, Fn>;
  const d = new Descriptor();
  assert.equal(
    errOf(() => d['openAt']?.({}, 'x', {}, {})),
    'bad-descriptor',
  );
  assert.equal(
    errOf(() => d['stat']?.()),
    'bad-descriptor',
  );
  assert.equal(
    errOf(() => d['readViaStream']?.(0n)),
    'bad-descriptor',
  );
  assert.equal(fn(host, 'wasi:filesystem/types', 'filesystemErrorCode')(new IoError('x')), undefined);
});

test('cli: environment, arguments, cwd, exit, stdio', async () => {
  const out: string[] = [];
  const host = newHost(false, { write: (s, b) => out.push(`${s}:${str(b as Uint8Array)}`) });
  assert.deepEqual(fn(host, 'wasi:cli/environment', 'getEnvironment')(), [['INSTANCE_ID', '7']]);
  assert.deepEqual(fn(host, 'wasi:cli/environment', 'getArguments')(), []);
  assert.equal(fn(host, 'wasi:cli/environment', 'initialCwd')(), undefined);
  assert.throws(
    () => fn(host, 'wasi:cli/exit', 'exit')({ tag: 'err' }),
    (e) => e instanceof GuestExit && e.code === 1,
  );
  assert.throws(
    () => fn(host, 'wasi:cli/exit', 'exit')({ tag: 'ok' }),
    (e) => e instanceof GuestExit && e.code === 0,
  );
  assert.throws(
    () => fn(host, 'wasi:cli/exit', 'exitWithCode')(3),
    (e) => e instanceof GuestExit && e.code === 3,
  );
  await (fn(host, 'wasi:cli/stdout', 'getStdout')() as OutputStream).blockingWriteAndFlush(bytes('half '));
  (fn(host, 'wasi:cli/stderr', 'getStderr')() as OutputStream).write(bytes('err\n'));
  assert.deepEqual(out, ['stdout:half ', 'stderr:err\n']);
  const stdin = fn(host, 'wasi:cli/stdin', 'getStdin')() as InputStream;
  assert.deepEqual(
    errOf(() => stdin.blockingRead(10n)),
    { tag: 'closed' },
  );
  assert.equal(fn(host, 'wasi:cli/terminal-stdout', 'getTerminalStdout')(), undefined);
});

test('random: byte counts, u64s, a stable insecure seed', () => {
  const host = newHost();
  assert.equal((fn(host, 'wasi:random/random', 'getRandomBytes')(16n) as Uint8Array).length, 16);
  assert.equal((fn(host, 'wasi:random/insecure', 'getInsecureRandomBytes')(0n) as Uint8Array).length, 0);
  assert.equal(typeof fn(host, 'wasi:random/random', 'getRandomU64')(), 'bigint');
  const seed = fn(host, 'wasi:random/insecure-seed', 'insecureSeed');
  assert.deepEqual(seed(), seed());
});

test('response: set → write → finish reaches the sink in order', async () => {
  const host = newHost();
  const rec = recordingSink();
  const { request, responseOutparam } = host.newRequest(requestInit(), rec.sink);
  assert.ok(request instanceof IncomingRequest);
  const resp = new OutgoingResponse(Fields.fromList([['content-type', bytes('text/plain')]]));
  resp.setStatusCode(201);
  const body = resp.body();
  assert.deepEqual(
    errOf(() => resp.body()),
    undefined,
    'body() once',
  );
  ResponseOutparam.set(responseOutparam as ResponseOutparam, { tag: 'ok', val: resp });
  assert.deepEqual(rec.calls, ['head 201']);
  const stream = body.write();
  assert.deepEqual(
    errOf(() => body.write()),
    undefined,
    'write() once',
  );
  await stream.blockingWriteAndFlush(bytes('hi'));
  stream.write(bytes(' there'));
  OutgoingBody.finish(body, undefined);
  assert.deepEqual(rec.calls, ['head 201', 'chunk hi', 'chunk  there', 'end']);
  assert.deepEqual(rec.headers, [['content-type', 'text/plain']]);
  assert.deepEqual(
    errOf(() => stream.write(bytes('late'))),
    { tag: 'closed' },
    'writes after finish',
  );
  assert.throws(
    () => ResponseOutparam.set(responseOutparam as ResponseOutparam, { tag: 'ok', val: resp }),
    /more than once/,
  );
});

test('response: a body written and finished before set is delivered after the head', () => {
  const rec = recordingSink();
  const param = new ResponseOutparam(rec.sink);
  const resp = new OutgoingResponse(new Fields());
  const body = resp.body();
  body.write().write(bytes('early'));
  OutgoingBody.finish(body, undefined);
  assert.deepEqual(rec.calls, []);
  ResponseOutparam.set(param, { tag: 'ok', val: resp });
  assert.deepEqual(rec.calls, ['head 200', 'chunk early', 'end']);
});

test('response: without body() the response is empty; set(err) reports the error', () => {
  const rec = recordingSink();
  ResponseOutparam.set(new ResponseOutparam(rec.sink), { tag: 'ok', val: new OutgoingResponse(new Fields()) });
  assert.deepEqual(rec.calls, ['head 200', 'end']);
  const rec2 = recordingSink();
  ResponseOutparam.set(new ResponseOutparam(rec2.sink), { tag: 'err', val: { tag: 'internal-error', val: 'boom' } });
  assert.deepEqual(rec2.calls, ['error internal-error: boom']);
  assert.equal(describeErrorCode({ tag: 'HTTP-request-denied' }), 'HTTP-request-denied');
  assert.equal(
    describeErrorCode({ tag: 'DNS-error', val: { rcode: 'x', infoCode: 3 } }),
    'DNS-error (rcode="x", info-code=3)',
  );
  assert.equal(describeErrorCode({ tag: 'HTTP-response-body-size', val: 12n }), 'HTTP-response-body-size (12)');
});

test('response: dropping the body without finish aborts it (before or after set)', () => {
  const rec = recordingSink();
  const param = new ResponseOutparam(rec.sink);
  const resp = new OutgoingResponse(new Fields());
  const body = resp.body();
  ResponseOutparam.set(param, { tag: 'ok', val: resp });
  body.write().write(bytes('part'));
  body[Symbol.dispose]();
  assert.deepEqual(rec.calls, ['head 200', 'chunk part', 'abort outgoing-body dropped without finish']);

  const rec2 = recordingSink();
  const resp2 = new OutgoingResponse(new Fields());
  const body2 = resp2.body();
  body2.write().write(bytes('part'));
  body2[Symbol.dispose]();
  ResponseOutparam.set(new ResponseOutparam(rec2.sink), { tag: 'ok', val: resp2 });
  assert.deepEqual(rec2.calls, ['head 200', 'chunk part', 'abort outgoing-body dropped without finish']);
});

test('response: status codes and content-length are validated like wasmtime', () => {
  const resp = new OutgoingResponse(new Fields());
  assert.deepEqual(
    errOf(() => resp.setStatusCode(99)),
    undefined,
  );
  assert.deepEqual(
    errOf(() => resp.setStatusCode(1000)),
    undefined,
  );
  assert.equal(resp.statusCode(), 200);

  // `fields` refuses a content-length that is not 1*DIGIT, as wasmtime's does; one the host made
  // (never from the front door, which Node validates) makes `body()` fail.
  assert.deepEqual(
    errOf(() => Fields.fromList([['content-length', bytes('x')]])),
    { tag: 'invalid-syntax' },
  );
  const bad = new OutgoingResponse(Fields.view([['content-length', bytes('x')]]));
  assert.deepEqual(
    errOf(() => bad.body()),
    undefined,
    'unparsable content-length',
  );

  const rec = recordingSink();
  const sized = new OutgoingResponse(Fields.fromList([['content-length', bytes('3')]]));
  const body = sized.body();
  ResponseOutparam.set(new ResponseOutparam(rec.sink), { tag: 'ok', val: sized });
  const stream = body.write();
  stream.write(bytes('ab'));
  const overflow = errOf(() => stream.write(bytes('cd'))) as { tag: string; val: IoError };
  assert.equal(overflow.tag, 'last-operation-failed');
  assert.deepEqual(httpErrorCode(overflow.val), { tag: 'HTTP-response-body-size', val: 4n });
  assert.deepEqual(
    errOf(() => stream.write(bytes('x'))),
    { tag: 'closed' },
    'closed after a failure',
  );
  assert.deepEqual(
    errOf(() => OutgoingBody.finish(body, undefined)),
    { tag: 'HTTP-response-body-size', val: 4n },
  );
  assert.equal(rec.calls.at(-1)?.startsWith('abort '), true);

  const rec2 = recordingSink();
  const short = new OutgoingResponse(Fields.fromList([['content-length', bytes('5')]]));
  const body2 = short.body();
  body2.write().write(bytes('ab'));
  assert.deepEqual(
    errOf(() => OutgoingBody.finish(body2, undefined)),
    { tag: 'HTTP-response-body-size', val: 2n },
  );
  ResponseOutparam.set(new ResponseOutparam(rec2.sink), { tag: 'ok', val: short });
  assert.deepEqual(rec2.calls.slice(0, 2), ['head 200', 'chunk ab']);
  assert.match(rec2.calls[2] ?? '', /^abort body has 2 bytes but its content-length is 5/);
});

test('response: trailers from outgoing-body.finish go to the sink with the end, however late it is bound', () => {
  const rec = recordingSink();
  const resp = new OutgoingResponse(new Fields());
  const body = resp.body();
  ResponseOutparam.set(new ResponseOutparam(rec.sink), { tag: 'ok', val: resp });
  body.write().write(bytes('hi'));
  const trailers = Fields.fromList([
    ['x-t', bytes('1')],
    ['X-U', bytes('2')],
  ]);
  OutgoingBody.finish(body, trailers);
  assert.deepEqual(rec.calls, ['head 200', 'chunk hi', 'end x-t=1,x-u=2']);
  assert.deepEqual(
    errOf(() => trailers.append('x-v', bytes('3'))),
    { tag: 'immutable' },
    'finish took the trailers',
  );
  // Finished before `set`: replayed when the response is bound.
  const rec2 = recordingSink();
  const resp2 = new OutgoingResponse(new Fields());
  const body2 = resp2.body();
  OutgoingBody.finish(body2, Fields.fromList([['x-t', bytes('1')]]));
  ResponseOutparam.set(new ResponseOutparam(rec2.sink), { tag: 'ok', val: resp2 });
  assert.deepEqual(rec2.calls, ['head 200', 'end x-t=1']);
  // Empty trailers are no trailers.
  const rec3 = recordingSink();
  const resp3 = new OutgoingResponse(new Fields());
  const body3 = resp3.body();
  OutgoingBody.finish(body3, new Fields());
  ResponseOutparam.set(new ResponseOutparam(rec3.sink), { tag: 'ok', val: resp3 });
  assert.deepEqual(rec3.calls, ['head 200', 'end']);
  // A content-length mismatch still fails the finish, trailers or not.
  const rec4 = recordingSink();
  const resp4 = new OutgoingResponse(Fields.fromList([['content-length', bytes('5')]]));
  const body4 = resp4.body();
  ResponseOutparam.set(new ResponseOutparam(rec4.sink), { tag: 'ok', val: resp4 });
  assert.deepEqual(
    errOf(() => OutgoingBody.finish(body4, Fields.fromList([['x-t', bytes('1')]]))),
    { tag: 'HTTP-response-body-size', val: 0n },
  );
  assert.match(rec4.calls.at(-1) ?? '', /^abort body has 0 bytes/);
});

test('incoming request: trailers reach incoming-body.finish as immutable fields, without forbidden ones', () => {
  const req = new IncomingRequest(
    requestInit({
      trailers: [
        ['X-Checksum', bytes('abc')],
        ['host', bytes('evil')],
        ['x-checksum', bytes('def')],
        ['Connection', bytes('x')],
      ],
    }),
  );
  const body = req.consume();
  // Whether or not the body was read: the trailers are there.
  const trailers = IncomingBody.finish(body);
  assert.equal(trailers.subscribe().ready(), true);
  const got = trailers.get() as { tag: 'ok'; val: { tag: 'ok'; val: Fields } };
  assert.equal(got.tag, 'ok');
  assert.equal(got.val.tag, 'ok');
  const fields = got.val.val;
  assert.deepEqual(
    fields.entries().map(([n, v]) => `${n}=${str(v)}`),
    ['x-checksum=abc', 'x-checksum=def'],
  );
  assert.deepEqual(
    errOf(() => fields.append('x-more', bytes('1'))),
    { tag: 'immutable' },
  );
  assert.deepEqual(trailers.get(), { tag: 'err', val: undefined }, 'taken once');

  // Only forbidden trailers: a trailer section was there, so `some` of an empty map (wasmtime).
  const onlyForbidden = IncomingBody.finish(
    new IncomingRequest(requestInit({ trailers: [['host', bytes('h')]] })).consume(),
  );
  const empty = onlyForbidden.get() as { tag: 'ok'; val: { tag: 'ok'; val: Fields } };
  assert.deepEqual(empty.val.val.entries(), []);

  // A body still arriving (an upstream response): none until its source says, then the outcome.
  let outcome:
    | { tag: 'ok'; val: Array<[string, Uint8Array]> | null }
    | { tag: 'err'; val: { tag: string } }
    | undefined;
  const pending = IncomingBody.finish(
    new IncomingBody(bytes(''), undefined, { subscribe: () => new Pollable(NEVER), outcome: () => outcome }),
  );
  assert.equal(pending.get(), undefined);
  outcome = { tag: 'err', val: { tag: 'HTTP-protocol-error' } };
  assert.deepEqual(pending.get(), { tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-protocol-error' } } });
});

test('outgoing HTTP: denied by default; requests are buildable (sending them: outgoing.test.ts)', () => {
  const req = new OutgoingRequest(Fields.fromList([['x-a', bytes('1')]]));
  assert.deepEqual(req.method(), { tag: 'get' });
  req.setMethod({ tag: 'other', val: 'PURGE' });
  assert.deepEqual(
    errOf(() => req.setMethod({ tag: 'other', val: 'BAD METHOD' })),
    undefined,
  );
  req.setPathWithQuery('/x?y=1');
  assert.deepEqual(
    errOf(() => req.setPathWithQuery('/a b')),
    undefined,
  );
  req.setAuthority('example.com:80');
  req.setScheme({ tag: 'HTTPS' });
  assert.equal(req.pathWithQuery(), '/x?y=1');
  assert.deepEqual(
    errOf(() => req.headers().append('x-b', bytes('2'))),
    { tag: 'immutable' },
  );
  req.body().write().write(bytes('payload'));

  const denied = errOf(() => fn(newHost(false), 'wasi:http/outgoing-handler', 'handle')(req, undefined));
  assert.deepEqual(denied, { tag: 'HTTP-request-denied' });
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('response body backpressure: a blocking write waits for room, a non-blocking one without room traps', async () => {
  const controller = new AbortController();
  let blocks = 0;
  const host = createP2Host({
    env: [],
    output: noOutput,
    allowOutgoingHttp: false,
    signal: controller.signal,
    beforeBlock: () => blocks++,
  });
  const window = testWindow(0);
  const rec = recordingSink(window);
  const { responseOutparam } = host.newRequest(requestInit(), rec.sink);
  // What the guest constructs comes from the host's constructor, which shares the class's prototype.
  const HostOutgoingResponse = host.imports['wasi:http/types']?.['OutgoingResponse'] as new (
    headers: Fields,
  ) => OutgoingResponse;
  const resp = new HostOutgoingResponse(new Fields());
  assert.ok(resp instanceof OutgoingResponse && resp instanceof HostOutgoingResponse);
  const body = resp.body();
  ResponseOutparam.set(responseOutparam as ResponseOutparam, { tag: 'ok', val: resp });
  const stream = body.write();
  assert.equal(stream.checkWrite(), 0n);
  assert.equal(stream.subscribe().ready(), false);
  assert.throws(() => stream.write(bytes('x')), /exceeded budget/);

  const writing = stream.blockingWriteAndFlush(bytes('hi'));
  await tick();
  assert.deepEqual(rec.calls, ['head 200'], 'the write waits for room');
  assert.equal(blocks, 1, 'beforeBlock before it waits');
  window.set(10);
  await writing;
  assert.deepEqual(rec.calls, ['head 200', 'chunk hi']);

  window.set(0);
  const left = stream.blockingWriteAndFlush(bytes('gone'));
  window.set(-1);
  assert.deepEqual(await errOfAsync(() => left), { tag: 'closed' }, 'the client left while the write waited');

  const window2 = testWindow(0);
  const rec2 = recordingSink(window2);
  const resp2 = new HostOutgoingResponse(new Fields());
  const body2 = resp2.body();
  ResponseOutparam.set(host.newRequest(requestInit(), rec2.sink).responseOutparam as ResponseOutparam, {
    tag: 'ok',
    val: resp2,
  });
  const stream2 = body2.write();
  const stalled = stream2.blockingWriteAndFlush(bytes('more'));
  const reason = new Error('the instance was killed');
  controller.abort(reason);
  await assert.rejects(stalled, (e) => e === reason);
  await assert.rejects(
    stream2.blockingWriteAndFlush(bytes('late')),
    (e) => e === reason,
    'later blocking calls reject at once',
  );
  assert.throws(
    () => stream2.blockingFlush(),
    (e) => e === reason,
  );
  assert.deepEqual(rec2.calls, ['head 200']);
});

test('a body full before set: a blocking write fails, a wait for room lasts until the host is aborted', async () => {
  const controller = new AbortController();
  const host = createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false, signal: controller.signal });
  const HostOutgoingResponse = host.imports['wasi:http/types']?.['OutgoingResponse'] as new (
    headers: Fields,
  ) => OutgoingResponse;
  const stream = new HostOutgoingResponse(new Fields()).body().write();
  stream.write(new Uint8Array(UNBOUND_BODY_LIMIT));
  assert.equal(stream.checkWrite(), 0n);
  const failed = (await errOfAsync(() => stream.blockingWriteAndFlush(bytes('x')))) as { tag: string };
  assert.equal(failed.tag, 'last-operation-failed');
  const waiting = stream.subscribe().block();
  let settled = false;
  void waiting.catch(() => {}).finally(() => (settled = true));
  await tick();
  assert.equal(settled, false);
  const reason = new Error('the instance was disposed');
  controller.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
});

test('abort: blocking reads of the request body reject at once', async () => {
  const controller = new AbortController();
  const host = createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false, signal: controller.signal });
  const { request } = host.newRequest(requestInit(), recordingSink().sink);
  const stream = (request as IncomingRequest).consume().stream();
  assert.equal(str(stream.blockingRead(5n)), 'hello');
  const reason = new Error('gone');
  controller.abort(reason);
  assert.throws(
    () => stream.blockingRead(5n),
    (e) => e === reason,
  );
  assert.throws(
    () => stream.blockingSkip(5n),
    (e) => e === reason,
  );
  assert.equal(str(stream.read(5n)), ' body', 'non-blocking calls are not affected');
});
