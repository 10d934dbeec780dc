/**
 * Interruption for guests that share an executor thread: wasmtime's epoch interruption, built
 * by instrumenting each core module, since V8 cannot stop a running wasm call from outside
 * short of terminating the whole thread (and every other guest on it).
 *
 * The contract of an instrumented module:
 * - It imports one extra function, `INTERRUPT_MODULE`.`check` of type `() -> ()`. Every other
 *   import and every export is as before.
 * - It ticks at every function entry, function end, `return` and loop header (binaryen's
 *   `log-execution` sites). Every `CHECK_INTERVAL` ticks it calls `check()`, so a guest that
 *   spins, in a loop or by recursion, calls it every few microseconds of wasm execution.
 * - `check()` stops the guest by throwing (see `interruptImports`): the JS exception unwinds
 *   the wasm stack to the host that called into the instance. The instance is then in an
 *   arbitrary state (stopped mid-operation) and must not be called again; other instances on
 *   the same thread are untouched. A guest `catch_all` can catch the exception, but the flag
 *   stays set, so the next check throws again.
 * - The tick counter is a mutable i32 global of each instance, not shared: the hot path is a
 *   global decrement and a branch (the tick is inlined at every site, except in functions over
 *   binaryen's inlining size limit of ~400 KB, where it stays a call).
 * - The output is not byte-for-byte reproducible: the pass numbers its sites with a counter that
 *   lives as long as the process (the numbers end up unused), so cache the result, do not compare it.
 *
 * binaryen is imported lazily: loading it takes over a second and ~80 MB, which an executor
 * thread that only runs cached modules (and `interruptImports`) should never pay.
 */
import type BinaryenDefault from 'binaryen';

type Binaryen = typeof BinaryenDefault;
type BinaryenModule = InstanceType<Binaryen['Module']>;

export const INTERRUPT_MODULE = 'poolscope:interrupt';
export const INTERRUPT_CHECK = 'check';
/** Ticks between two calls of `check()`. */
export const CHECK_INTERVAL = 10_000;

/** What `check()` throws once the flag is set. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor() {
    super('guest interrupted');
  }
}

/**
 * The import object part an instrumented module needs. `flag` lives in a SharedArrayBuffer: the
 * main thread stores a non-zero value at `index` while the executor thread is busy in wasm, and
 * the guest's next `check()` throws `Interrupted`. Resetting the flag is the caller's job. With
 * `countAt`, every check also adds one to `flag[countAt]`, so the main thread can tell a guest
 * that goes on running after the flag was set (one that catches the exception).
 */
export function interruptImports(
  flag: Int32Array,
  index = 0,
  countAt?: number,
): Record<string, Record<string, () => void>> {
  const check =
    countAt === undefined
      ? (): void => {
          if (Atomics.load(flag, index) !== 0) throw new Interrupted();
        }
      : (): void => {
          Atomics.add(flag, countAt, 1);
          if (Atomics.load(flag, index) !== 0) throw new Interrupted();
        };
  return { [INTERRUPT_MODULE]: { [INTERRUPT_CHECK]: check } };
}

let binaryenPromise: Promise<Binaryen> | undefined;
function loadBinaryen(): Promise<Binaryen> {
  binaryenPromise ??= import('binaryen').then((m) => m.default);
  return binaryenPromise;
}

/** The internal name binaryen's log-execution pass gives its import (fixed in LogExecution.cpp). */
const LOGGER = 'log_execution';

/**
 * Returns `bytes` instrumented as described at the top of this file. Modules that define no
 * function bodies (jco's import-table shims) or that are already instrumented come back as
 * they are. Async only because binaryen is loaded on first use.
 */
export async function instrumentForInterrupt(bytes: Uint8Array): Promise<Uint8Array> {
  const sections = readSections(bytes);
  if (!sections.some((s) => s.id === CODE_SECTION && readU32(bytes, s.start).value > 0)) return bytes;
  const binaryen = await loadBinaryen();
  try {
    let module = readModule(binaryen, bytes);
    if (module.getFunction(LOGGER) !== 0) {
      // The guest names a function `log_execution` (name section): the pass would collide
      // with it. Without the name section binaryen names functions by index.
      module.dispose();
      module = readModule(binaryen, withoutNameSection(bytes, sections));
    }
    try {
      // Never let binaryen's addFunction meet a duplicate: that aborts its whole runtime.
      if (module.getFunction(LOGGER) !== 0) throw new Error(`a function is still named ${LOGGER}`);
      if (importsFrom(binaryen, module, INTERRUPT_MODULE)) return bytes;
      return instrument(binaryen, module);
    } finally {
      module.dispose();
    }
  } catch (error) {
    throw asError(error);
  }
}

/** binaryen throws plain objects with a `message` (e.g. for a binary it cannot parse). */
function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  return new Error(`binaryen: ${message}`);
}

function readModule(binaryen: Binaryen, bytes: Uint8Array): BinaryenModule {
  // The package's index.d.ts declares readBinaryWithFeatures, but the JS has readBinary's
  // optional second argument instead.
  const read = binaryen.readBinary as (data: Uint8Array, features: number) => BinaryenModule;
  const module = read(bytes, binaryen.Features.All);
  module.setFeatures(v8Features(binaryen));
  return module;
}

/**
 * The proposals V8 (Node 24) runs. Modules are read with every feature binaryen knows, but
 * written with these only: with `All`, binaryen's writer uses encodings V8 rejects (the
 * compact import section, exact reference types). A module that really uses anything else
 * could not be compiled by V8 anyway.
 */
function v8Features(binaryen: Binaryen): number {
  const f = binaryen.Features;
  return (
    f.Atomics |
    f.MutableGlobals |
    f.NontrappingFPToInt |
    f.SIMD128 |
    f.BulkMemory |
    f.BulkMemoryOpt |
    f.SignExt |
    f.ExceptionHandling |
    f.TailCall |
    f.ReferenceTypes |
    f.CallIndirectOverlong |
    f.Multivalue |
    f.GC |
    f.Memory64 |
    f.RelaxedSIMD |
    f.ExtendedConst |
    f.MultiMemory
  );
}

function importsFrom(binaryen: Binaryen, module: BinaryenModule, name: string): boolean {
  for (let i = 0; i < module.getNumFunctions(); i++) {
    if (binaryen.getFunctionInfo(module.getFunctionByIndex(i)).module === name) return true;
  }
  return false;
}

function instrument(binaryen: Binaryen, module: BinaryenModule): Uint8Array {
  // binaryen's options are process-global: set ours, and put them back whatever happens.
  const saved = {
    debugInfo: binaryen.getDebugInfo(),
    alwaysInline: binaryen.getAlwaysInlineMaxSize(),
    noInline: binaryen.getPassArgument('no-inline'),
  };
  try {
    binaryen.setDebugInfo(true); // keep the name section: guest stack traces stay readable
    // Freeze the guest's own functions first: the inlining below must move only the tick.
    binaryen.setPassArgument('no-inline', '*');
    module.runPasses(['no-inline', 'log-execution']);

    // Replace the pass's import with the tick: decrement the fuel, every CHECK_INTERVAL call check().
    module.removeFunction(LOGGER);
    const fuel = freeName((n) => module.getGlobal(n) !== 0, 'poolscope$fuel');
    const check = freeName((n) => module.getFunction(n) !== 0, 'poolscope$check');
    module.addGlobal(fuel, binaryen.i32, true, module.i32.const(CHECK_INTERVAL));
    module.addFunctionImport(check, INTERRUPT_MODULE, INTERRUPT_CHECK, binaryen.none, binaryen.none);
    const fuelLeft = () => module.global.get(fuel, binaryen.i32);
    const tick = module.block(null, [
      module.global.set(fuel, module.i32.sub(fuelLeft(), module.i32.const(1))),
      module.if(
        module.i32.eqz(fuelLeft()),
        module.block(null, [
          module.global.set(fuel, module.i32.const(CHECK_INTERVAL)),
          module.call(check, [], binaryen.none),
        ]),
      ),
    ]);
    module.addFunction(LOGGER, binaryen.i32, binaryen.none, [], tick);

    // The tick (12 expressions) is the only function not marked no-inline; 'inlining' without
    // '-optimizing' leaves the guest's code otherwise as it was.
    binaryen.setAlwaysInlineMaxSize(Math.max(saved.alwaysInline, 16));
    module.runPasses(['inlining']);
    return module.emitBinary();
  } finally {
    binaryen.setDebugInfo(saved.debugInfo);
    binaryen.setAlwaysInlineMaxSize(saved.alwaysInline);
    binaryen.setPassArgument('no-inline', saved.noInline);
  }
}

function freeName(taken: (name: string) => boolean, base: string): string {
  let name = base;
  for (let i = 1; taken(name); i++) name = `${base}${i}`;
  return name;
}

// Just enough of the binary format to find the code and name sections without loading binaryen.
const CODE_SECTION = 10;
const CUSTOM_SECTION = 0;
interface Section {
  id: number;
  /** Offset of the id byte. */
  headerStart: number;
  /** Payload [start, end). */
  start: number;
  end: number;
}

function readSections(bytes: Uint8Array): Section[] {
  const sections: Section[] = [];
  let offset = 8; // magic and version; binaryen reports a bad header itself
  while (offset < bytes.length) {
    const headerStart = offset;
    // biome-ignore lint/style/noNonNullAssertion: offset < bytes.length (the loop's condition)
    const id = bytes[offset++]!;
    const size = readU32(bytes, offset);
    const start = size.next;
    sections.push({ id, headerStart, start, end: start + size.value });
    offset = start + size.value;
  }
  return sections;
}

function readU32(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = bytes[offset++];
    if (byte === undefined) break;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: offset };
  }
  throw new Error(`malformed wasm: bad LEB128 at offset ${offset}`);
}

function withoutNameSection(bytes: Uint8Array, sections: Section[]): Uint8Array {
  const isName = (s: Section) => {
    if (s.id !== CUSTOM_SECTION) return false;
    const length = readU32(bytes, s.start);
    return new TextDecoder().decode(bytes.subarray(length.next, length.next + length.value)) === 'name';
  };
  const kept = sections.filter((s) => !isName(s)).map((s) => bytes.subarray(s.headerStart, s.end));
  const out = new Uint8Array(8 + kept.reduce((sum, part) => sum + part.length, 0));
  out.set(bytes.subarray(0, 8));
  let offset = 8;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
