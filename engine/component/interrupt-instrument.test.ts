/**
 * Interrupt instrumentation on real wasm (modules written in WAT, assembled with binaryen):
 * same results, spins stopped from the flag (also from another thread while running), modules
 * with nothing to instrument, and the on-disk cache of compileCoreModules. Outcomes and order
 * only: no durations, no sleeps.
 */
import assert from 'node:assert/strict';
import { on } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import binaryen from 'binaryen';
import { INTERRUPT_MODULE, Interrupted, instrumentForInterrupt, interruptImports } from './interrupt-instrument.ts';
import type { SpinReport } from './test-support/spin-worker.ts';
import { compileCoreModules, interruptibleFileName, type TranspiledComponent } from './transpile-cache.ts';

type Exports = Record<string, (...args: number[]) => number>;

/** Assembles WAT; `names` keeps the name section (binaryen drops it unless debug info is on). */
function wat(text: string, names = false): Uint8Array<ArrayBuffer> {
  const module = binaryen.parseText(text);
  const debugInfo = binaryen.getDebugInfo();
  binaryen.setDebugInfo(names);
  try {
    module.setFeatures(
      binaryen.Features.MVP |
        binaryen.Features.TailCall |
        binaryen.Features.ReferenceTypes |
        binaryen.Features.BulkMemory,
    );
    return new Uint8Array(module.emitBinary());
  } finally {
    binaryen.setDebugInfo(debugInfo);
    module.dispose();
  }
}

async function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Promise<Exports> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports);
  return instance.exports as Exports;
}

const newFlags = (cells = 1) => new Int32Array(new SharedArrayBuffer(4 * cells));

const GUEST = wat(`(module
  (import "test" "entered" (func $entered))
  (func $sum (export "sum") (param $n i32) (result i32) (local $total i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $total (i32.add (local.get $total) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $total))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (i32.lt_u (local.get $n) (i32.const 2))
      (then (return (local.get $n))))
    (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))
  (func (export "spin") (loop $forever (br $forever)))
  (func $recurse (export "spin_by_tail_calls") (return_call $recurse))
  (func (export "spin_reporting") (local $told i32)
    (loop $forever
      (if (i32.eqz (local.get $told)) (then (call $entered) (local.set $told (i32.const 1))))
      (br $forever))))`);
const noop = { test: { entered: () => {} } };

describe('instrumentForInterrupt', () => {
  test('an instrumented module computes what the original does, and imports one more function', async () => {
    const instrumented = await instrumentForInterrupt(GUEST);
    const [original, changed] = [
      await instantiate(GUEST, noop),
      await instantiate(instrumented, { ...noop, ...interruptImports(newFlags()) }),
    ];
    for (const n of [0, 1, 100, 50_000]) assert.equal(changed.sum!(n), original.sum!(n));
    for (const n of [0, 1, 2, 20]) assert.equal(changed.fib!(n), original.fib!(n));
    assert.equal(changed.fib!(20), 6765);

    const [before, after] = [
      new WebAssembly.Module(GUEST),
      new WebAssembly.Module(instrumented as Uint8Array<ArrayBuffer>),
    ];
    assert.deepEqual(WebAssembly.Module.exports(after), WebAssembly.Module.exports(before));
    assert.deepEqual(WebAssembly.Module.imports(after), [
      ...WebAssembly.Module.imports(before),
      { module: INTERRUPT_MODULE, name: 'check', kind: 'function' },
    ]);
    // Instrumenting twice changes nothing.
    assert.equal(await instrumentForInterrupt(instrumented), instrumented);
  });

  test('with the flag set, a spinning loop and a tail-call spin throw Interrupted', async () => {
    const flags = newFlags();
    const guest = await instantiate(await instrumentForInterrupt(GUEST), { ...noop, ...interruptImports(flags) });
    Atomics.store(flags, 0, 1);
    assert.throws(
      () => guest.spin!(),
      (error) => error instanceof Interrupted && error.name === 'Interrupted' && error.message === 'guest interrupted',
    );
    assert.throws(() => guest.spin_by_tail_calls!(), Interrupted);
  });

  test('a spin already running in a worker is stopped; another instance on that thread still answers', async () => {
    const flags = newFlags(2);
    const worker = new Worker(new URL('./test-support/spin-worker.ts', import.meta.url), {
      workerData: { bytes: await instrumentForInterrupt(GUEST), flags },
    });
    // One listener for the whole test: messages the worker posts back to back can be emitted in
    // one turn, and a listener added per message (`once`) would miss the second.
    const messages = on(worker, 'message', { close: ['exit'] });
    try {
      const next = async (): Promise<SpinReport> => {
        const { value, done } = await messages.next();
        assert.ok(!done, 'the worker stopped posting');
        return (value as [SpinReport])[0];
      };
      assert.deepEqual(await next(), { kind: 'spinning' });
      Atomics.store(flags, 0, 1);
      assert.deepEqual(await next(), {
        kind: 'spin-ended',
        interrupted: true,
        message: 'Interrupted: guest interrupted',
      });
      assert.deepEqual(await next(), { kind: 'answer', value: 5050 });
    } finally {
      await messages.return?.();
      await worker.terminate();
    }
  });

  test('a module without functions comes back as it was; one without loops is still instrumented', async () => {
    const tableOnly = wat('(module (table (export "t") 2 funcref) (memory (export "m") 1))');
    assert.equal(await instrumentForInterrupt(tableOnly), tableOnly);
    await instantiate(tableOnly);

    // jco's shims are like this: trampolines that call_indirect into a table another module fills.
    const shim = await instrumentForInterrupt(
      wat(`(module
      (type $unary (func (param i32) (result i32)))
      (table (export "$imports") 1 funcref)
      (func (export "0") (param i32) (result i32) (call_indirect (type $unary) (local.get 0) (i32.const 0))))`),
    );
    const shimExports = (await WebAssembly.instantiate(shim as Uint8Array<ArrayBuffer>, interruptImports(newFlags())))
      .instance.exports;
    const guest = await instantiate(await instrumentForInterrupt(GUEST), { ...noop, ...interruptImports(newFlags()) });
    (shimExports.$imports as WebAssembly.Table).set(0, guest.fib);
    assert.equal((shimExports['0'] as (n: number) => number)(10), 55);
  });

  test('guest names and imports that collide with the pass or with ours still work', async () => {
    // The pass's own import is named log_execution inside binaryen: a guest function of that
    // name (from the name section) makes us drop the names.
    const logged: number[] = [];
    const logging = await instrumentForInterrupt(
      wat(
        `(module
      (import "env" "log_execution" (func $log_execution (param i32)))
      (func (export "run") (param $x i32) (result i32)
        (call $log_execution (local.get $x))
        (i32.add (local.get $x) (i32.const 1))))`,
        true,
      ),
    );
    const guest = await instantiate(logging, {
      env: { log_execution: (x: number) => logged.push(x) },
      ...interruptImports(newFlags()),
    });
    assert.equal(guest.run!(41), 42);
    assert.deepEqual(logged, [41]);

    // Names we would have given our global and import are taken: ours get other names.
    const named = await instrumentForInterrupt(
      wat(
        `(module
      (global $poolscope$fuel (mut i32) (i32.const 7))
      (func $poolscope$check (export "run") (param $x i32) (result i32)
        (loop $forever (br_if $forever (i32.eqz (local.get $x))))
        (i32.add (global.get $poolscope$fuel) (local.get $x))))`,
        true,
      ),
    );
    const flags = newFlags();
    const other = await instantiate(named, interruptImports(flags));
    assert.equal(other.run!(35), 42);
    Atomics.store(flags, 0, 1);
    assert.throws(() => other.run!(0), Interrupted);
  });

  test('what is not wasm is refused with an Error', async () => {
    const truncated = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0xff,
    ]);
    await assert.rejects(instrumentForInterrupt(truncated), Error);
  });
});

describe('compileCoreModules', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  test('instruments once, caches the result beside the original, and can be told not to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolscope-interrupt-'));
    dirs.push(dir);
    await writeFile(join(dir, 'guest.core.wasm'), GUEST);
    const component: TranspiledComponent = {
      sha256: 'test',
      dir,
      moduleUrl: 'file:///unused.js',
      coreModuleFiles: ['guest.core.wasm'],
      imports: [],
      exports: [],
    };
    const importsOf = (modules: Record<string, WebAssembly.Module>) =>
      WebAssembly.Module.imports(modules['guest.core.wasm']!).map((entry) => entry.module);

    assert.deepEqual(importsOf(await compileCoreModules(component)), ['test', INTERRUPT_MODULE]);
    const cached = join(dir, interruptibleFileName('guest.core.wasm'));
    assert.equal(cached, join(dir, 'guest.core.interruptible.wasm'));
    const first = await stat(cached);

    assert.deepEqual(importsOf(await compileCoreModules(component)), ['test', INTERRUPT_MODULE]);
    assert.equal((await stat(cached)).mtimeMs, first.mtimeMs, 'the second call reads the cached file');

    assert.deepEqual(importsOf(await compileCoreModules(component, { interruptible: false })), ['test']);
  });

  test('a component of several modules: each comes back under its own name, and only the ones not cached are instrumented', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolscope-interrupt-'));
    dirs.push(dir);
    const looping = (name: string) =>
      wat(`(module (func (export "${name}") (result i32) (local $i i32)
        (loop $next (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const 10))))
        (local.get $i)))`);
    const files = {
      'guest.core.wasm': GUEST,
      'guest.core2.wasm': looping('two'),
      'guest.core3.wasm': looping('three'),
    };
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    const component = (coreModuleFiles: string[]): TranspiledComponent => ({
      sha256: 'test',
      dir,
      moduleUrl: 'file:///unused.js',
      coreModuleFiles,
      imports: [],
      exports: [],
    });
    await compileCoreModules(component(['guest.core2.wasm']));
    const cachedTwo = await stat(join(dir, interruptibleFileName('guest.core2.wasm')));

    const modules = await compileCoreModules(component(Object.keys(files)));
    const exportsOf = (name: string) => WebAssembly.Module.exports(modules[name]!).map((entry) => entry.name);
    assert.deepEqual(Object.keys(modules), Object.keys(files));
    assert.ok(exportsOf('guest.core.wasm').includes('sum'));
    assert.deepEqual(exportsOf('guest.core2.wasm'), ['two']);
    assert.deepEqual(exportsOf('guest.core3.wasm'), ['three']);
    for (const name of Object.keys(files))
      assert.ok(
        WebAssembly.Module.imports(modules[name]!).some((entry) => entry.module === INTERRUPT_MODULE),
        `${name} is instrumented`,
      );
    const three = await instantiate(
      new Uint8Array(await readFile(join(dir, interruptibleFileName('guest.core3.wasm')))),
      interruptImports(newFlags()),
    );
    assert.equal(three.three!(), 10);
    assert.equal(
      (await stat(join(dir, interruptibleFileName('guest.core2.wasm')))).mtimeMs,
      cachedTwo.mtimeMs,
      'the module already cached is read, not instrumented again',
    );
  });
});
