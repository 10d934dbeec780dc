import { formatBytes } from '../../base/bytes.ts';

/**
 * A bound on guest linear memory, written into a core module's binary: wasmtime's
 * `-W max-memory-size=BYTES`. V8 has no store limiter, but a memory's declared maximum is one it
 * enforces exactly the way wasmtime's limiter fails a grow: `memory.grow` returns -1 and the
 * instance carries on. So every memory a module *defines* gets maximum = min(its maximum, limit).
 * Imported memories are left alone: an import without a maximum accepts the (now bounded) memory
 * its exporter defines.
 *
 * Why a hand-written patcher: only the memory section (id 5, a few bytes) changes. Every other
 * section is copied byte for byte, so a 14 MB StarlingMonkey module costs one copy and the code
 * section's offsets (DWARF, names) stay valid; re-encoding the module with binaryen or wasm-tools
 * would rewrite all of it and take seconds.
 */

export const WASM_PAGE_BYTES = 65536;

/** The default: ample for real guests (a StarlingMonkey guest uses ~6 MiB at rest), far from a 4 GiB bomb. */
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;

/** The limit cannot be honoured for this module; the message says why, in the user's terms. */
export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

/** A memory the module defines, as declared (sizes in pages of `pageBytes`). */
export interface DefinedMemory {
  /** Index among the module's memories (imported ones come first). */
  index: number;
  minPages: bigint;
  maxPages: bigint | null;
  pageBytes: number;
  shared: boolean;
  memory64: boolean;
}

const FLAG_HAS_MAX = 0x01;
const FLAG_SHARED = 0x02;
const FLAG_MEMORY64 = 0x04;
const FLAG_PAGE_SIZE = 0x08; // custom-page-sizes proposal: log2(page size) follows the limits
const KNOWN_FLAGS = FLAG_HAS_MAX | FLAG_SHARED | FLAG_MEMORY64 | FLAG_PAGE_SIZE;
const MEMORY_SECTION = 5;
const IMPORT_SECTION = 2;
const IMPORT_KIND_MEMORY = 2;

/** The memories a core module defines (not those it imports). */
export function definedMemories(module: Uint8Array): DefinedMemory[] {
  const section = findSections(module).find((s) => s.id === MEMORY_SECTION);
  if (!section) return [];
  const imported = countImportedMemories(module);
  const reader = new Reader(module, section.start, section.end);
  const count = reader.u32();
  const memories: DefinedMemory[] = [];
  for (let i = 0; i < count; i++) memories.push(readLimits(reader, imported + i).memory);
  return memories;
}

/**
 * Returns `module` with every defined memory's maximum lowered to `limitBytes` (rounded down to
 * whole pages, as wasmtime's limiter compares byte sizes), or `module` itself when nothing needs
 * to change. Throws `MemoryLimitError` when a memory's minimum is already over the limit.
 */
export function limitDefinedMemories(module: Uint8Array<ArrayBuffer>, limitBytes: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 0)
    throw new RangeError(`memory limit must be a whole number of bytes, got ${limitBytes}`);
  const sections = findSections(module);
  const section = sections.find((s) => s.id === MEMORY_SECTION);
  if (!section) return module;
  const imported = countImportedMemories(module);
  const reader = new Reader(module, section.start, section.end);
  const count = reader.u32();
  const parts: Uint8Array[] = [encodeULeb(BigInt(count))];
  let changed = false;
  for (let i = 0; i < count; i++) {
    const entryStart = reader.offset;
    const { memory, flags, pageSizeLog2 } = readLimits(reader, imported + i);
    // A 32-bit memory cannot pass 4 GiB whatever the limit (V8 refuses a larger maximum), so a
    // limit above that leaves it at its index space, as wasmtime's does.
    const indexSpacePages = memory.memory64 ? null : BigInt(2 ** 32 / memory.pageBytes);
    const wanted = BigInt(Math.floor(limitBytes / memory.pageBytes));
    const limitPages = indexSpacePages !== null && wanted > indexSpacePages ? indexSpacePages : wanted;
    if (memory.minPages > limitPages) {
      throw new MemoryLimitError(
        `its linear memory ${memory.index} starts at ${sizeOf(memory.minPages, memory.pageBytes)}, over the guest memory limit of ${sizeOf(limitPages, memory.pageBytes)} (-W max-memory-size=${limitBytes}); raise the limit to at least ${memory.minPages * BigInt(memory.pageBytes)}`,
      );
    }
    if (memory.maxPages !== null && memory.maxPages <= limitPages) {
      parts.push(module.subarray(entryStart, reader.offset));
      continue;
    }
    changed = true;
    parts.push(
      Uint8Array.of(flags | FLAG_HAS_MAX),
      encodeULeb(memory.minPages),
      encodeULeb(limitPages),
      ...(pageSizeLog2 === null ? [] : [encodeULeb(BigInt(pageSizeLog2))]),
    );
  }
  if (reader.offset !== section.end)
    throw new MemoryLimitError(`the memory section has ${section.end - reader.offset} trailing bytes`);
  if (!changed) return module;
  const payload = concat(parts);
  return concat([
    module.subarray(0, section.headerStart),
    Uint8Array.of(MEMORY_SECTION),
    encodeULeb(BigInt(payload.length)),
    payload,
    module.subarray(section.end),
  ]);
}

interface Section {
  id: number;
  /** Offset of the id byte. */
  headerStart: number;
  /** Payload [start, end). */
  start: number;
  end: number;
}

function findSections(module: Uint8Array): Section[] {
  const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (module.length < 8 || MAGIC.some((byte, i) => module[i] !== byte))
    throw new MemoryLimitError('not a WebAssembly core module (version 1)');
  const sections: Section[] = [];
  const reader = new Reader(module, 8, module.length);
  while (reader.offset < module.length) {
    const headerStart = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    const start = reader.offset;
    if (start + size > module.length)
      throw new MemoryLimitError(`section ${id} at offset ${headerStart} runs past the end of the module`);
    sections.push({ id, headerStart, start, end: start + size });
    reader.offset = start + size;
  }
  return sections;
}

/** Imported memories come first in the index space; counted only to name memories correctly. */
function countImportedMemories(module: Uint8Array): number {
  const section = findSections(module).find((s) => s.id === IMPORT_SECTION);
  if (!section) return 0;
  const reader = new Reader(module, section.start, section.end);
  let memories = 0;
  for (let i = reader.u32(); i > 0; i--) {
    reader.skip(reader.u32()); // module name
    reader.skip(reader.u32()); // field name
    const kind = reader.byte();
    if (kind === 0x00)
      reader.u32(); // function: type index
    else if (kind === 0x01) {
      skipValueType(reader); // table: reference type, then limits
      const flags = reader.byte();
      reader.u64();
      if (flags & FLAG_HAS_MAX) reader.u64();
    } else if (kind === IMPORT_KIND_MEMORY) {
      readLimits(reader, memories);
      memories++;
    } else if (kind === 0x03) {
      skipValueType(reader); // global: value type, mutability
      reader.byte();
    } else if (kind === 0x04) {
      reader.byte(); // tag: attribute, type index
      reader.u32();
    } else throw new MemoryLimitError(`import of unknown kind 0x${kind.toString(16)}`);
  }
  return memories;
}

/** A value type: one byte, or (GC proposal) `ref`/`ref null` followed by a heap type (an s33). */
function skipValueType(reader: Reader): void {
  const type = reader.byte();
  if (type === 0x63 || type === 0x64) reader.u64(); // an s33 has the same byte length as a u64 LEB
}

function readLimits(
  reader: Reader,
  index: number,
): { memory: DefinedMemory; flags: number; pageSizeLog2: number | null } {
  const flags = reader.byte();
  if (flags & ~KNOWN_FLAGS)
    throw new MemoryLimitError(`memory ${index} has limits flags 0x${flags.toString(16)} that Poolscope does not know`);
  const minPages = reader.u64();
  const maxPages = flags & FLAG_HAS_MAX ? reader.u64() : null;
  const pageSizeLog2 = flags & FLAG_PAGE_SIZE ? reader.u32() : null;
  if (pageSizeLog2 !== null && pageSizeLog2 > 16)
    throw new MemoryLimitError(`memory ${index} declares a page size of 2^${pageSizeLog2} bytes`);
  return {
    memory: {
      index,
      minPages,
      maxPages,
      pageBytes: pageSizeLog2 === null ? WASM_PAGE_BYTES : 2 ** pageSizeLog2,
      shared: (flags & FLAG_SHARED) !== 0,
      memory64: (flags & FLAG_MEMORY64) !== 0,
    },
    flags,
    pageSizeLog2,
  };
}

function sizeOf(pages: bigint, pageBytes: number): string {
  return `${pages} page${pages === 1n ? '' : 's'} (${formatBytes(Number(pages) * pageBytes)})`;
}

class Reader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  offset: number;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.offset = start;
    this.#end = end;
  }

  byte(): number {
    // A section's end comes from its declared size, so the bytes may end first.
    const byte = this.offset < this.#end ? this.#bytes[this.offset] : undefined;
    if (byte === undefined) throw new MemoryLimitError(`unexpected end of data at offset ${this.offset}`);
    this.offset++;
    return byte;
  }

  skip(count: number): void {
    if (this.offset + count > this.#end) throw new MemoryLimitError(`unexpected end of data at offset ${this.offset}`);
    this.offset += count;
  }

  u32(): number {
    const value = this.u64();
    if (value > 0xffffffffn) throw new MemoryLimitError(`a u32 at offset ${this.offset} is out of range`);
    return Number(value);
  }

  /** Unsigned LEB128, up to 64 bits. */
  u64(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new MemoryLimitError(`an integer at offset ${this.offset} is longer than 10 bytes`);
  }
}

export function encodeULeb(value: bigint): Uint8Array {
  const out: number[] = [];
  do {
    let byte = Number(value & 0x7fn);
    value >>= 7n;
    if (value !== 0n) byte |= 0x80;
    out.push(byte);
  } while (value !== 0n);
  return Uint8Array.from(out);
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
