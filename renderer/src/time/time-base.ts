/**
 * The dashboard's one time base: engine time, the `t` every event carries (milliseconds on the
 * engine's monotonic clock since Poolscope started), shown in seconds. The timeline's axis, the
 * charts' axes and the event log's time column all format it here and name it with `TIME_BASE`,
 * so a time read in one place can be found in the others. Recordings keep engine time, so a
 * replay reads the same. Pure.
 */

/** What the numbers are, for axis and column labels. */
export const TIME_BASE = 's since engine start';
/** The column or axis label: `t (s since engine start)`. */
export const TIME_BASE_LABEL = `t (${TIME_BASE})`;

/** The unit under a time axis (beside its ticks): `t (s)`. */
export const TIME_AXIS_UNIT = 't (s) →';

/** An event's time to the millisecond, as the event log shows it: `35.394`. */
export function fmtT(tMs: number): string {
  return (Math.max(0, tMs) / 1000).toFixed(3);
}

/** A time with its base, for tips and announcements: `t = 35.394 s`. */
export function fmtTLong(tMs: number): string {
  return `t = ${fmtT(tMs)} s`;
}

/** A tick on an axis whose ticks are `stepMs` apart: as many decimals as the step needs (`35`, `35.5`, `35.25`). */
export function fmtTick(tMs: number, stepMs: number): string {
  const decimals = stepMs >= 1000 ? 0 : stepMs >= 100 ? 1 : stepMs >= 10 ? 2 : 3;
  return (tMs / 1000).toFixed(decimals);
}

/** Tick steps, in ms: 1, 2, 5 × a power of ten, from 1 ms to 1000 s. */
const STEPS: readonly number[] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000].flatMap((p) => [p, 2 * p, 5 * p]);

/** The smallest step that puts at most `maxTicks` ticks on a span of `spanMs`. */
export function tickStep(spanMs: number, maxTicks: number): number {
  const span = Math.max(1, spanMs);
  const most = Math.max(1, Math.floor(maxTicks));
  return STEPS.find((s) => span / s <= most) ?? STEPS.at(-1) ?? 1_000_000;
}

/** Tick times (ms) on [startMs, endMs] at multiples of `stepMs`; none before engine start. */
export function ticks(startMs: number, endMs: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.max(0, Math.ceil(startMs / stepMs) * stepMs); t <= endMs; t += stepMs) out.push(t);
  return out;
}
