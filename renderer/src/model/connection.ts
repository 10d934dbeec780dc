/**
 * What the header and the banner say about the link to the engine and what is on screen (pure):
 * live and serving, disconnected (the page shows the state when the link dropped), or a recording
 * being replayed, which never looks live.
 */
import { LOADED_EVENTS_PER_SECOND } from '../../../protocol/index.ts';

/** The bridge's connection state (bridge/websocket-client.ts `ConnectionInfo`), structurally. */
export interface LinkInfo {
  status: 'connecting' | 'open' | 'closed';
  attempts: number;
  error: string | null;
}

export interface HeaderStatus {
  /** The pill beside the address: `serving`, `stopped`, `replay` or `unknown` (no link, so no knowing). */
  pill: 'serving' | 'stopped' | 'replay' | 'unknown';
  pillText: string;
  /** The link indicator: a green dot only when live. */
  link: 'live' | 'connecting' | 'reconnecting' | 'closed' | 'replay';
  linkText: string;
}

export function headerStatus(link: LinkInfo, serving: boolean, replayFile: string | null): HeaderStatus {
  if (replayFile !== null) {
    // Whatever the engine does meanwhile, the screen shows the recording.
    return { pill: 'replay', pillText: `Replay of ${replayFile}`, link: 'replay', linkText: 'not live' };
  }
  const linkState = link.status === 'open' ? 'live' : link.status === 'closed' ? 'closed' : linkWord(link);
  const linkText = linkState === 'live' ? 'live' : linkState;
  if (link.status !== 'open') return { pill: 'unknown', pillText: 'Not connected', link: linkState, linkText };
  return serving
    ? { pill: 'serving', pillText: 'Serving', link: 'live', linkText }
    : { pill: 'stopped', pillText: 'Stopped', link: 'live', linkText };
}

/**
 * What the live indicator adds about the page's pace (bridge/message-pacer.ts): nothing while
 * updates come more often than once a second, else how often they come. The page slows them
 * under load so it takes little CPU from the server it watches (issue 16 §7); a user wondering
 * why a chart moves in steps of two seconds is told here.
 */
export function livePace(paceMs: number): { text: string; title: string } | null {
  if (paceMs < 1000) return null;
  const every = `${Math.round(paceMs / 100) / 10} s`;
  return {
    text: `every ${every}`,
    title: `Live: updates come every ${every}. While events come fast (from ${LOADED_EVENTS_PER_SECOND.toLocaleString('en')} a second, until under ${(LOADED_EVENTS_PER_SECOND / 2).toLocaleString('en')}) or drawing them costs the page, it updates less often, down to once every 2 s, so that it takes little CPU from the server it watches.`,
  };
}

function linkWord(link: LinkInfo): 'connecting' | 'reconnecting' {
  return link.attempts > 0 || link.error !== null ? 'reconnecting' : 'connecting';
}

/**
 * The banner while the link is down, or null. Not for the first connect of a page (it lasts a
 * moment), only once the link was lost or could not be made.
 */
export function disconnectedBanner(link: LinkInfo): { title: string; detail: string; canRetry: boolean } | null {
  if (link.status === 'open') return null;
  if (link.status === 'closed') {
    return {
      title: 'Not connected to an engine',
      detail: link.error ?? 'The connection is closed. Reload the page to connect again.',
      canRetry: false,
    };
  }
  if (link.attempts === 0 && link.error === null) return null;
  const why = link.error ? ` (${link.error})` : '';
  return {
    title: 'Disconnected from the engine — reconnecting…',
    detail: `Attempt ${link.attempts}${why}. What is shown is how things were when the link dropped; controls that change the engine are disabled until it is back.`,
    canRetry: true,
  };
}
