/**
 * jco's wasm-tools and componentize-js's splicer are components transpiled onto preview2-shim,
 * whose filesystem starts with no preopens (0.26): without this they see no files at all, and
 * reading a WIT directory fails (`os error 44`, which is why `npx jco componentize` fails here).
 * Call before loading either. Process-wide for the shim, and idempotent.
 */
export async function preopenHostRoot(): Promise<void> {
  // (The shim's typings resolve to its browser build; the Node build maps to host paths.)
  const shimFs = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as {
    _setPreopens(preopens: Record<string, string>): void;
  };
  shimFs._setPreopens({ '/': '/' });
}
