/** Number formatting shared by the views and the log (pure). */
import { formatBytes } from '../../../base/bytes.ts';
import { formatDuration, parseDuration } from '../../../base/duration.ts';

export { formatDuration, parseDuration };
export const fmtBytes = formatBytes;

export function fmtMs(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Engine milliseconds as a compact age: 850ms, 12.3s, 4m05s. */
export function fmtAge(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : fmtMs(ms);
}

export function fmtRate(perSecond: number): string {
  return perSecond >= 100 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}
