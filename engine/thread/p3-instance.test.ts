/**
 * WASIp3 instances in-process (no thread): wasmtime's real p3 test guests from
 * ../shared/fixtures/wasmtime-test-programs, plus a tiny hand-written probe component (WAT, built
 * here with jco's wasm-tools) for what those guests never do: return Err, trap, and hold
 * backpressure. Behaviour only, seen through what the pool sees (handle's outcome, the sink, and
 * the watchTasks/watchReady/onTrap reports); every wait is on one of those, none on time.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileCoreModules, transpileCached } from '../component/transpile-cache.ts';
import type { IncomingRequestInit, ResponseSink } from '../../base/http-exchange.ts';
import type { InstanceThreadData } from './messages.ts';
import { instantiateP3, type P3GuestInstance } from './p3-instance.ts';
import { getRequest } from '../host/p2/test-support.ts';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/wasmtime-test-programs/', import.meta.url));
const enc = new TextEncoder();
const dec = new TextDecoder();

let cacheDir: string;
const components = new Map<string, InstanceThreadData>();
const live: P3GuestInstance[] = [];

async function prepare(name: string, bytes: Uint8Array): Promise<void> {
  const transpiled = await transpileCached(bytes, cacheDir);
  components.set(name, {
    moduleUrl: transpiled.moduleUrl,
    coreModules: await compileCoreModules(transpiled),
    world: 'wasip3',
    handlerInterface: 'wasi:http/handler@0.3.0',
    allowOutgoingHttp: false,
  });
}

async function instantiate(name: string, output: Array<[string, string]> = []): Promise<P3GuestInstance> {
  const data = components.get(name);
  assert.ok(data, `component ${name} was prepared`);
  const instance = await instantiateP3({
    data,
    env: [['INSTANCE_ID', String(live.length + 1)]],
    output: { write: (stream, bytes) => output.push([stream, dec.decode(bytes)]) },
    beforeBlock: () => {},
  });
  live.push(instance);
  return instance;
}

/** A sink that records everything, in order; `done` settles at end, abort or error. */
function collector() {
  const events: string[] = [];
  const out = {
    events,
    status: 0,
    headers: [] as Array<[string, string]>,
    body: '',
    error: undefined as string | undefined,
    aborted: undefined as string | undefined,
    done: undefined as unknown as Promise<void>,
  };
  let finish!: () => void;
  out.done = new Promise<void>((resolve) => (finish = resolve));
  const sink: ResponseSink = {
    head(status, headers) {
      events.push('head');
      out.status = status;
      out.headers = headers.map(([name, value]) => [name.toLowerCase(), dec.decode(value)]);
    },
    error(message) {
      events.push('error');
      out.error = message;
      finish();
    },
    chunk(bytes) {
      events.push('chunk');
      out.body += dec.decode(bytes);
    },
    end() {
      events.push('end');
      finish();
    },
    abort(message) {
      events.push('abort');
      out.aborted = message;
      finish();
    },
  };
  return { sink, out };
}

async function serve(instance: P3GuestInstance, init: IncomingRequestInit = getRequest()) {
  const { sink, out } = collector();
  await instance.handle(init, sink);
  out.events.push('returned');
  await out.done;
  return out;
}

interface Seen {
  /** Every `watchTasks` report, in order. */
  tasks: number[];
  /** Every `watchReady` report, in order. */
  ready: boolean[];
  traps: Error[];
  /** Resolves once `holds()`, checked after every report. */
  until(what: string, holds: () => boolean): Promise<void>;
}

/** Subscribes to everything the instance reports, as the hosted instance does. */
function observe(instance: P3GuestInstance): Seen {
  const checks = new Set<() => void>();
  const wake = (): void => {
    for (const check of [...checks]) check();
  };
  const seen: Seen = {
    tasks: [],
    ready: [],
    traps: [],
    until: (what, holds) =>
      new Promise((resolve, reject) => {
        // A hang guard, not a duration assertion.
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
        const check = (): void => {
          if (!holds()) return;
          clearTimeout(timer);
          checks.delete(check);
          resolve();
        };
        checks.add(check);
        check();
      }),
  };
  instance.watchTasks((pending) => (seen.tasks.push(pending), wake()));
  instance.watchReady((ready) => (seen.ready.push(ready), wake()));
  instance.onTrap((error) => (seen.traps.push(error), wake()));
  return seen;
}

/** Nothing left running: the last report is 0 (no report yet: nothing ever ran after handle). */
const idle = (seen: Seen) => (): boolean => (seen.tasks.at(-1) ?? 0) === 0;

before(async () => {
  cacheDir = await mkdtemp(path.join(tmpdir(), 'poolscope-p3-test-'));
  for (const name of ['p3-cli-serve-hello-world', 'p3-cli-serve-sleep', 'p3-http-echo']) {
    await prepare(name, await readFile(path.join(FIXTURES, `${name}.wasm`)));
  }
  await prepare('probe', await buildProbe(cacheDir));
});

after(async () => {
  // Disposing fails the host timers guests still wait on, so jco's scheduler winds down and the
  // process can exit.
  for (const instance of live) instance.dispose();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('wasmtime p3 test programs', () => {
  test('hello-world answers 200 "Hello, WASI!"; the body arrives after handle returns', async () => {
    const hello = await instantiate('p3-cli-serve-hello-world');
    const seen = observe(hello);
    const { sink, out } = collector();
    await hello.handle(getRequest(), sink);
    out.events.push('returned');
    // The guest writes its body from a task it spawned: still alive after handle returned, and
    // reported before the call returns.
    assert.ok(
      seen.tasks.at(-1)! >= 2,
      `the body and the spawned guest task are pending when handle returns: ${seen.tasks}`,
    );
    await out.done;
    assert.equal(out.status, 200);
    assert.equal(out.body, 'Hello, WASI!');
    assert.deepEqual(out.events, ['head', 'returned', 'chunk', 'end']);
    await seen.until('the drop to 0 to be reported', idle(seen));
    assert.deepEqual(seen.ready, [], 'no backpressure');
    assert.deepEqual(seen.traps, []);
    assert.ok(hello.memoryBytes() > 0);
  });

  test('20 concurrent calls on one instance all succeed, and the counts settle back to 0', async () => {
    const hello = await instantiate('p3-cli-serve-hello-world');
    const seen = observe(hello);
    const results = await Promise.all(Array.from({ length: 20 }, () => serve(hello)));
    for (const result of results) {
      assert.equal(result.status, 200);
      assert.equal(result.body, 'Hello, WASI!');
    }
    // Reports are coalesced to once per event-loop turn: the last one, 0, may still be queued.
    await seen.until('the drop to 0 to be reported', () => seen.tasks.at(-1) === 0);
    assert.ok(Math.max(...seen.tasks) > 1, 'several calls were alive at once');
    // The instance is still usable afterwards.
    assert.equal((await serve(hello)).body, 'Hello, WASI!');
  });

  test('echo returns the request body and headers', async () => {
    const echo = await instantiate('p3-http-echo');
    const seen = observe(echo);
    const body = enc.encode('some bytes to echo\n'.repeat(100));
    const result = await serve(
      echo,
      getRequest({
        method: 'POST',
        pathWithQuery: '/echo?x=1',
        headers: [
          ['x-foo', enc.encode('bar')],
          ['content-type', enc.encode('text/plain')],
          ['host', enc.encode('localhost:8080')], // forbidden in p3 fields: dropped, not fatal
        ],
        body,
      }),
    );
    assert.equal(result.status, 200);
    assert.equal(result.body, dec.decode(body));
    assert.ok(
      result.headers.some(([name, value]) => name === 'x-foo' && value === 'bar'),
      JSON.stringify(result.headers),
    );
    assert.ok(result.headers.some(([name, value]) => name === 'content-type' && value === 'text/plain'));
    await seen.until('the echo to settle', idle(seen));
  });

  test('sleep never answers, yet the event loop stays live: the instance takes a second call, others serve', async () => {
    const sleeper = await instantiate('p3-cli-serve-sleep');
    const seen = observe(sleeper);
    const hello = await instantiate('p3-cli-serve-hello-world');
    const first = sleeper.handle(getRequest(), collector().sink);
    const second = sleeper.handle(getRequest(), collector().sink);
    let answered = false;
    void Promise.race([first, second]).then(
      () => (answered = true),
      () => (answered = true),
    );
    // Both calls entered the guest (two guest tasks, no body yet): the first one's wait does not
    // block the instance.
    await seen.until('both sleep calls to enter the guest', () => seen.tasks.at(-1) === 2);
    // Meanwhile another instance on the same thread serves a whole request, and sleep has not answered.
    assert.equal((await serve(hello)).body, 'Hello, WASI!');
    assert.equal(answered, false, 'sleep must not answer');
    // Disposing fails the waits: the calls settle (as failures) instead of hanging forever.
    sleeper.dispose();
    await assert.rejects(first);
    await assert.rejects(second);
  });
});

describe('probe guest: errors, traps, backpressure', () => {
  test('Err(error-code) goes to sink.error as a readable message; the instance lives on', async () => {
    const probe = await instantiate('probe');
    const seen = observe(probe);
    const result = await serve(probe, getRequest({ method: 'GET' }));
    assert.equal(result.error, 'internal-error("boom")');
    assert.deepEqual(result.events, ['error', 'returned']);
    assert.deepEqual(seen.traps, [], 'an Err is not a trap');
    assert.equal((await serve(probe, getRequest({ method: 'GET' }))).error, 'internal-error("boom")');
  });

  test('a trap in handle fails every call in flight on the instance, and every later call', async () => {
    const probe = await instantiate('probe');
    const seen = observe(probe);
    const parked = [1, 2, 3].map(() => probe.handle(getRequest({ method: 'OPTIONS' }), collector().sink));
    for (const call of parked) call.catch(() => {});
    await seen.until('the parked calls to enter the guest', () => seen.tasks.at(-1) === 3);
    await assert.rejects(probe.handle(getRequest({ method: 'POST' }), collector().sink), /unreachable/);
    for (const call of parked) await assert.rejects(call, /trapped while this request was in flight/);
    assert.equal(seen.traps.length, 1, 'reported once');
    await assert.rejects(probe.handle(getRequest({ method: 'GET' }), collector().sink), /has trapped/);
  });

  test('a trap after handle returned (post-return work) is reported and poisons the instance', async () => {
    const probe = await instantiate('probe');
    const trapped = new Promise<Error>((resolve) => probe.onTrap(resolve));
    const result = await serve(probe, getRequest({ method: 'PUT' }));
    assert.equal(result.error, 'internal-error("boom")');
    assert.match((await trapped).message, /unreachable/);
    await assert.rejects(probe.handle(getRequest({ method: 'GET' }), collector().sink), /has trapped/);
  });

  test('backpressure: not ready while the guest holds it; a call made meanwhile waits, then runs', async () => {
    const probe = await instantiate('probe');
    const seen = observe(probe);
    const holder = collector();
    const holding = probe.handle(getRequest({ method: 'DELETE' }), holder.sink);
    await seen.until('the guest to enable backpressure', () => seen.ready.at(-1) === false);
    const waiter = collector();
    const waiting = probe.handle(getRequest({ method: 'GET' }), waiter.sink);
    await holding;
    await waiting;
    assert.equal(holder.out.error, 'internal-error("boom")');
    assert.equal(waiter.out.error, 'internal-error("boom")');
    await seen.until('both readiness changes to be reported', () => seen.ready.length === 2);
    assert.deepEqual(seen.ready, [false, true]);
    await seen.until('the probe to settle', idle(seen));
  });
});

/**
 * The probe: a callback-style async lift of `wasi:http/handler@0.3.0#handle` in WAT. By method:
 * GET returns Err(internal-error("boom")); POST traps in handle (and makes later callbacks trap);
 * PUT returns Err, yields, and its callback traps (a post-return trap); OPTIONS never returns
 * (yields forever); DELETE enables backpressure, yields, and its callback disables it and returns
 * Err. Callbacks act on the mode of the latest PUT/OPTIONS/DELETE call.
 */
const PROBE_WAT = `
(module
  (import "wasi:http/types@0.3.0" "[method]request.get-method" (func $get_method (param i32 i32)))
  (import "wasi:http/types@0.3.0" "[resource-drop]request" (func $drop_request (param i32)))
  ;; unused: jco's bindgen needs a function using \`response\` to set up that resource's table
  (import "wasi:http/types@0.3.0" "[static]response.new" (func $response_new (param i32 i32 i32 i32 i32)))
  (import "[export]wasi:http/handler@0.3.0" "[task-return]handle" (func $task_return (param i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "$root" "[backpressure-inc]" (func $bp_inc))
  (import "$root" "[backpressure-dec]" (func $bp_dec))
  (memory (export "memory") 1)
  (data (i32.const 16) "boom")
  (global $heap (mut i32) (i32.const 1024))
  (global $mode (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  ;; task.return(err(internal-error(some("boom")))): error-code case 38, option some, ptr, len
  (func $err
    (call $task_return (i32.const 1) (i32.const 38) (i32.const 1) (i64.const 16) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "[async-lift]wasi:http/handler@0.3.0#handle") (param $req i32) (result i32)
    (local $m i32)
    (call $get_method (local.get $req) (i32.const 64))
    (local.set $m (i32.load8_u (i32.const 64)))
    (call $drop_request (local.get $req))
    (if (i32.eq (local.get $m) (i32.const 0)) (then (call $err) (return (i32.const 0))))
    (if (i32.eq (local.get $m) (i32.const 2)) (then (global.set $mode (i32.const 3)) unreachable))
    (if (i32.eq (local.get $m) (i32.const 3)) (then (global.set $mode (i32.const 3)) (call $err) (return (i32.const 1))))
    (if (i32.eq (local.get $m) (i32.const 6)) (then (global.set $mode (i32.const 6)) (return (i32.const 1))))
    (if (i32.eq (local.get $m) (i32.const 4)) (then (global.set $mode (i32.const 4)) (call $bp_inc) (return (i32.const 1))))
    unreachable)
  (func (export "[callback][async-lift]wasi:http/handler@0.3.0#handle") (param i32 i32 i32) (result i32)
    (if (i32.eq (global.get $mode) (i32.const 6)) (then (return (i32.const 1))))
    (if (i32.eq (global.get $mode) (i32.const 4)) (then (call $bp_dec) (call $err) (return (i32.const 0))))
    unreachable)
)`;

async function buildProbe(dir: string): Promise<Uint8Array> {
  // jco's wasm-tools runs on preview2-shim, whose filesystem has no preopens by default.
  const shimFs = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as {
    _setPreopens(preopens: Record<string, string>): void;
  };
  shimFs._setPreopens({ '/': '/' });
  const jco = await import('@bytecodealliance/jco');
  const jcoRoot = path.dirname(path.dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/jco'))));
  const witDir = path.join(dir, 'probe-wit');
  await mkdir(witDir, { recursive: true });
  await writeFile(
    path.join(witDir, 'world.wit'),
    'package poolscope:p3-probe;\n\nworld guest {\n  import wasi:http/types@0.3.0;\n  export wasi:http/handler@0.3.0;\n}\n',
  );
  await cp(path.join(jcoRoot, 'lib', 'wit', 'builtin', '0.3.0'), path.join(witDir, 'deps'), { recursive: true });
  const core = await jco.parse(PROBE_WAT);
  const embedded = await jco.componentEmbed({
    binary: core,
    witPath: witDir,
    world: 'poolscope:p3-probe/guest',
    stringEncoding: 'utf8',
  });
  return jco.componentNew(embedded);
}
