/** Presenting a load run: the dashboard's `LoadProgress`, a one-line progress bar, a plain summary. */
import type { LoadProgress } from '../../protocol/bridge.ts';
import type { LoadProgressUpdate, LoadSummary } from './options.ts';

/** The bridge's `load-progress` payload for run `runId`. */
export function toLoadProgress(runId: number, update: LoadProgressUpdate): LoadProgress {
  const l = update.latencyMs;
  return {
    runId,
    done: update.done,
    errors: update.errors,
    rate: update.rate,
    finished: update.finished,
    statusCounts: { ...update.statusCounts },
    latencyMs: l ? { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max } : null,
    errorBreakdown: { timeouts: update.timeouts, connection: { ...update.connectionByCode } },
    timeoutMs: update.timeoutMs,
  };
}

/** Fraction done in [0, 1]: by count, or by time, whichever is further along. */
export function fractionDone(update: LoadProgressUpdate): number {
  const byCount = update.target.count !== null ? update.done / update.target.count : 0;
  const byTime = update.target.durationMs !== null ? update.elapsedMs / update.target.durationMs : 0;
  return update.finished ? 1 : Math.min(1, Math.max(byCount, byTime));
}

/** `[#######.....]  42%  12,345 done  0 errors  6,123 req/s  p99 3.1 ms` sized to `width` columns. */
export function progressLine(update: LoadProgressUpdate, width = 80): string {
  const p99 = update.latencyMs ? `  p99 ${formatMs(update.latencyMs.p99)}` : '';
  const text = `${Math.round(fractionDone(update) * 100)
    .toString()
    .padStart(3)}%  ${int(update.done)} done  ${int(update.errors)} errors  ${int(update.rate)} req/s${p99}`;
  const barWidth = Math.max(10, Math.min(40, width - text.length - 4));
  const filled = Math.round(fractionDone(update) * barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${text}`;
}

/** The summary as plain text, one fact per line. */
export function formatSummary(s: LoadSummary): string {
  const lines: string[] = [];
  const how =
    s.mode === 'open-loop'
      ? `open loop at ${int(s.targetRate ?? 0)} req/s over ${s.connections} connections`
      : `${s.connections} concurrent connections`;
  lines.push(
    `${s.method} ${s.url}: ${how}, ${(s.elapsedMs / 1000).toFixed(2)} s${s.aborted ? ' (stopped early)' : ''}`,
  );
  const unanswered = s.unanswered > 0 ? ` (${int(s.unanswered)} unanswered)` : '';
  lines.push(
    `requests:   ${int(s.responses)} responses, ${int(s.sent)} sent${unanswered}, ${fixed(s.requestsPerSecond)} req/s`,
  );
  if (s.latencyMs) {
    const l = s.latencyMs;
    lines.push(
      `latency:    p50 ${formatMs(l.p50)}  p90 ${formatMs(l.p90)}  p99 ${formatMs(l.p99)}  max ${formatMs(l.max)}  (mean ${formatMs(l.mean)})`,
    );
  } else {
    lines.push('latency:    no responses');
  }
  const statuses = Object.entries(s.statusCounts)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status}: ${int(count)}`);
  lines.push(`status:     ${statuses.length > 0 ? statuses.join(', ') : 'none'}`);
  const e = s.errors;
  const codes = Object.entries(e.byCode).map(([code, count]) => `${code} ${int(count)}`);
  lines.push(
    `errors:     ${int(e.total)} (connection ${int(e.connection)}${codes.length > 0 ? `: ${codes.join(', ')}` : ''}; timeouts ${int(e.timeouts)})`,
  );
  return lines.join('\n') + '\n';
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 100) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fixed(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
