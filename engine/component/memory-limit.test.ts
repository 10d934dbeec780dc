import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from '@bytecodealliance/jco';
import { definedMemories, limitDefinedMemories, MemoryLimitError, WASM_PAGE_BYTES } from './memory-limit.ts';
import { resolveDemoGuest } from './demos.ts';
import { transpileCached } from './transpile-cache.ts';

const MiB = 1024 * 1024;

async function wat(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await parse(text));
}

function pages(memories: ReturnType<typeof definedMemories>): Array<[number, string, string | null]> {
  return memories.map((m) => [m.index, String(m.minPages), m.maxPages === null ? null : String(m.maxPages)]);
}

/** `grow(n)` runs `memory.grow n` inside wasm, where a refused grow is -1 (not a JS exception). */
const GROWER = `
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))`;

async function instantiateGrower(bytes: Uint8Array<ArrayBuffer>): Promise<{ grow(n: number): number; size(): number }> {
  const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(bytes));
  return exports as unknown as { grow(n: number): number; size(): number };
}

test('a memory without a maximum gets the limit as its maximum, and a grow past it returns -1', async () => {
  const module = await wat(`(module (memory 1) ${GROWER})`);
  const limited = limitDefinedMemories(module, 4 * MiB);
  assert.deepEqual(pages(definedMemories(module)), [[0, '1', null]]);
  assert.deepEqual(pages(definedMemories(limited)), [[0, '1', '64']]);
  const guest = await instantiateGrower(limited);
  assert.equal(guest.grow(63), 1);
  assert.equal(guest.grow(1), -1, "a grow past the limit fails the way wasmtime's limiter fails it");
  assert.equal(guest.size(), 64);
  assert.equal(guest.grow(0), 64, 'the instance lives on');
});

test('a larger maximum is lowered; a smaller one is kept and the module is returned unchanged', async () => {
  const large = await wat('(module (memory 1 1000))');
  assert.deepEqual(pages(definedMemories(limitDefinedMemories(large, 2 * MiB))), [[0, '1', '32']]);
  const small = await wat('(module (memory 1 8))');
  assert.equal(limitDefinedMemories(small, 2 * MiB), small);
});

test('a limit above 4 GiB leaves a 32-bit memory at its 4 GiB index space, and the module compiles', async () => {
  const module = await wat(`(module (memory 1) ${GROWER})`);
  const limited = limitDefinedMemories(module, 8 * 1024 * MiB);
  assert.deepEqual(pages(definedMemories(limited)), [[0, '1', '65536']]);
  const guest = await instantiateGrower(limited);
  assert.equal(guest.grow(1), 1);
});

test('the limit is rounded down to whole pages, as wasmtime compares byte sizes', async () => {
  const module = await wat('(module (memory 0))');
  assert.deepEqual(pages(definedMemories(limitDefinedMemories(module, WASM_PAGE_BYTES * 3 - 1))), [[0, '0', '2']]);
  assert.deepEqual(pages(definedMemories(limitDefinedMemories(module, 0))), [[0, '0', '0']]);
});

test('a minimum over the limit is refused with a message naming the limit and the flag', async () => {
  const module = await wat('(module (memory 40))');
  assert.throws(
    () => limitDefinedMemories(module, MiB),
    (error: unknown) =>
      error instanceof MemoryLimitError &&
      error.message ===
        'its linear memory 0 starts at 40 pages (2.5 MiB), over the guest memory limit of 16 pages (1.0 MiB) (-W max-memory-size=1048576); raise the limit to at least 2621440',
  );
});

test('imported memories are left alone; defined ones are named by their index after the imports', async () => {
  const module = await wat('(module (import "host" "m" (memory 1)) (memory 2) (func (export "f")))');
  assert.deepEqual(pages(definedMemories(module)), [[1, '2', null]]);
  const limited = limitDefinedMemories(module, MiB);
  assert.deepEqual(pages(definedMemories(limited)), [[1, '2', '16']]);
  await WebAssembly.compile(limited);
  assert.throws(() => limitDefinedMemories(module, WASM_PAGE_BYTES), /linear memory 1 starts at 2 pages/);
});

test('memory64 limits are 64-bit and still bound the grow', async () => {
  const module = await wat(
    '(module (memory i64 1) (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))',
  );
  const limited = limitDefinedMemories(module, MiB);
  assert.deepEqual(
    definedMemories(limited).map((m) => [m.memory64, String(m.maxPages)]),
    [[true, '16']],
  );
  const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(limited));
  const grow = exports.grow as (n: bigint) => bigint;
  assert.equal(grow(15n), 1n);
  assert.equal(grow(1n), -1n);
});

test('a shared memory keeps its flag and gets the lower maximum', async () => {
  const module = await wat(`(module (memory 1 4096 shared) ${GROWER})`);
  const limited = limitDefinedMemories(module, MiB);
  assert.deepEqual(
    definedMemories(limited).map((m) => [m.shared, String(m.maxPages)]),
    [[true, '16']],
  );
  const guest = await instantiateGrower(limited);
  assert.equal(guest.grow(16), -1);
  assert.equal(guest.grow(15), 1);
});

test('custom page sizes count the limit in their own pages', () => {
  // (memory 1 (pagesize 1)): flags 0x08, min 1, log2(page size) 0. V8 cannot compile it yet.
  const module = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 0x08, 1, 0]);
  const limited = limitDefinedMemories(module, 1000);
  assert.deepEqual(
    definedMemories(limited).map((m) => [m.pageBytes, String(m.maxPages)]),
    [[1, '1000']],
  );
  assert.deepEqual([...limited.subarray(8)], [5, 6, 1, 0x09, 1, 0xe8, 0x07, 0]);
});

test('unknown limits flags and truncated modules are refused, not misread', () => {
  assert.throws(
    () => limitDefinedMemories(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0x10, 1]), MiB),
    /flags 0x10 that Poolscope does not know/,
  );
  assert.throws(
    () => limitDefinedMemories(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 9, 1]), MiB),
    /runs past the end/,
  );
  assert.throws(() => limitDefinedMemories(Uint8Array.from([1, 2, 3]), MiB), /not a WebAssembly core module/);
});

const cacheDir = await mkdtemp(join(tmpdir(), 'poolscope-memory-limit-'));
after(() => rm(cacheDir, { recursive: true, force: true }));

for (const guest of ['memory-bomb', 'p3-hello'] as const) {
  test(`real modules (demo:${guest}): every defined memory bounded, every other byte kept`, async () => {
    const transpiled = await transpileCached(await readFile(await resolveDemoGuest(guest)), cacheDir);
    let bounded = 0;
    for (const name of transpiled.coreModuleFiles) {
      const module = new Uint8Array(await readFile(join(transpiled.dir, name)));
      const limited = limitDefinedMemories(module, 8 * MiB);
      for (const memory of definedMemories(limited)) {
        assert.equal(memory.maxPages, 128n, `${name} memory ${memory.index}`);
        bounded++;
      }
      // Only the memory section's few bytes change: the rest is copied as is on either side.
      const shift = limited.length - module.length;
      let first = 0;
      while (first < module.length && module[first] === limited[first]) first++;
      let last = module.length;
      while (last > first && module[last - 1] === limited[last - 1 + shift]) last--;
      assert.ok(
        last - first <= 8,
        `${name}: bytes ${first}..${last} of ${module.length} differ, more than a memory section's limits`,
      );
      await WebAssembly.compile(limited);
    }
    assert.ok(bounded >= 1, 'the guest defines at least one memory');
  });
}
