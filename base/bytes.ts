/** Byte counts for people: 512 B, 9.5 KiB, 64 KiB, 1.2 MiB (shared by the CLI and the dashboard). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * A byte count as people type it: `65536`, `64KiB`, `64k`, `256MiB`, `1G` (binary units; `MB` is
 * read as MiB, as wasmtime's size flags are). Throws a message naming the value.
 */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  // biome-ignore lint/style/noNonNullAssertion: group 2 always takes part in a match ([a-z]* may be empty)
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`'${text}' is not a size: use bytes (65536) or a unit (64KiB, 256MiB, 1GiB)`);
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(Math.floor(bytes))) throw new Error(`'${text}' is too large a size`);
  return Math.floor(bytes);
}
