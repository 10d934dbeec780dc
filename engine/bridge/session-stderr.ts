import { reportToStderr, stderrLine, type ReporterOptions } from '../events/stderr-reporter.ts';
import type { DashboardSession } from './dashboard-session.ts';

/** What starts each line the user's pool prints while it is parked (a scenario on show). */
export const PARKED_LINE_LABEL = '[parked] ';

/**
 * A session in the terminal: the pool on show printed as wasmtime serve prints, and the user's
 * pool, parked while a scenario runs, too, each of its lines marked: its guests' output and
 * failures must not go unseen, and the two pools' instance ids overlap. Returns the stop, which
 * prints the summaries still pending.
 */
export function reportSessionToStderr(session: DashboardSession, options: ReporterOptions): () => void {
  const write = options.write ?? stderrLine;
  const stopShown = reportToStderr(session.bus, { ...options, write });
  const stopParked = reportToStderr(session.backstage, {
    ...options,
    write: (line) => write(`${PARKED_LINE_LABEL}${line}`),
  });
  return () => {
    stopShown();
    stopParked();
  };
}
