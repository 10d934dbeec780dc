import type { DashboardSession, ServingChange } from './dashboard-session.ts';
import { PARKED_LINE_LABEL } from './session-stderr.ts';

/**
 * What the CLI prints when a front door opens or closes, or the pool on show changes, after
 * start-up, so the terminal always names the address that answers: `Serving HTTP on URL` for
 * every pool of the user's (the line start-up prints, on a line of its own so scripts that read it
 * keep working), and a scenario's guests with their own address. A pool replaced by the next one (`switch`) or closed on exit says
 * nothing: the next line, or the exit, tells.
 */
export function servingLines(change: ServingChange): string[] {
  if (change.kind === 'parked') {
    return [
      `${change.component} keeps serving on ${change.url} while a scenario runs on an address of its own; the dashboard shows the scenario until it ends. This terminal prints both; ${change.component}'s lines start with ${PARKED_LINE_LABEL.trim()}.`,
    ];
  }
  if (change.kind === 'stopped') {
    switch (change.why) {
      case 'stop':
        return [`Stopped serving HTTP on ${change.url}`];
      case 'switch':
      case 'close':
        return [];
    }
  }
  const moved = change.wanted ? [`${change.wanted} was taken while it was free; listening elsewhere.`] : [];
  if (change.by === 'scenario') return [...moved, `Scenario guest ${change.component} on ${change.url}`];
  return [
    ...(change.restored ? [`Scenario over: the dashboard shows ${change.component} again.`] : []),
    ...moved,
    `Serving HTTP on ${change.url}`,
  ];
}

/** Writes every address change after start-up, one `servingLines` group per change; returns the unsubscribe. */
export function reportServingChanges(session: DashboardSession, write: (line: string) => void): () => void {
  return session.onServingChange((change) => {
    for (const line of servingLines(change)) write(line);
  });
}
