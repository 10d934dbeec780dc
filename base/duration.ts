/**
 * wasmtime's duration syntax (crates/cli-flags opt.rs): an integer with an optional unit
 * `s`, `ms`, `us`/`μs` or `ns`; a bare integer means seconds. Returns milliseconds.
 */
const UNIT_TO_MS: Record<string, number> = { s: 1000, ms: 1, us: 1e-3, μs: 1e-3, ns: 1e-6 };

export function parseDuration(text: string): number {
  const match = /^(\d+)(s|ms|us|μs|ns)?$/.exec(text.trim());
  if (!match) {
    throw new Error(
      `invalid duration '${text}': expected an integer with an optional unit s, ms, us or ns (e.g. 100us, 40ms, 2s; a bare integer means seconds)`,
    );
  }
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return value * (UNIT_TO_MS[unit] ?? 1000);
}

/** The inverse, for messages and the dashboard: the shortest exact spelling. */
export function formatDuration(ms: number): string {
  if (ms >= 1000 && Number.isInteger(ms / 1000)) return `${ms / 1000}s`;
  if (Number.isInteger(ms)) return `${ms}ms`;
  const us = ms * 1000;
  if (Number.isInteger(Math.round(us * 1e6) / 1e6)) return `${Math.round(us)}us`;
  return `${Math.round(ms * 1e6)}ns`;
}
