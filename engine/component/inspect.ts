import { ComponentLoadError } from './errors.ts';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Magic (4 bytes), version (2) and layer (2): all a file needs to be told apart. */
export const PREAMBLE_BYTES = 8;

/**
 * Checks the 8-byte preamble before anything heavier runs, so the common mistakes get a precise
 * message: not wasm at all, or a core module where a component is needed. A component's preamble
 * is `\0asm` + version 0x0d + layer 1; a core module's is `\0asm` + version 1 + layer 0.
 */
export function checkComponentPreamble(bytes: Uint8Array, source: string): void {
  if (bytes.length < PREAMBLE_BYTES || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ComponentLoadError(`${source} is not a WebAssembly file (it does not start with the \\0asm magic bytes)`);
  }
  const layer = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(6, true);
  if (layer === 0) {
    throw new ComponentLoadError(
      `${source} is a core WebAssembly module, not a component: serve needs a component exporting wasi:http/incoming-handler@0.2.x or wasi:http/handler@0.3.x (build one with wasm-tools component new, cargo component, componentize-js or jco componentize)`,
    );
  }
  if (layer !== 1) {
    throw new ComponentLoadError(`${source} has an unknown WebAssembly layer ${layer}; expected a component (layer 1)`);
  }
}
