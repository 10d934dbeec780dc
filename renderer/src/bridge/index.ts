/**
 * Picks the transport: the Electron preload's `window.poolscope` when present (IPC), else a
 * WebSocket to the page's own origin (web mode). Either way its pushes are paced
 * (`message-pacer.ts`): event batches reach the store at most 4 times a second, less often when
 * rendering them costs the page more.
 */
import type { BridgeClient } from '../../../protocol/index.ts';
import { pageBeat } from '../hooks/beat.ts';
import { MessagePacer, type PaceListener, type PacerClock } from './message-pacer.ts';
import { bridgeUrl, WebSocketBridgeClient, type ConnectionInfo, type ObservableBridge } from './websocket-client.ts';

export type { ConnectionInfo, ConnectionStatus, ObservableBridge } from './websocket-client.ts';

declare global {
  interface Window {
    /** Set by the Electron shell's preload script. */
    poolscope?: BridgeClient & Partial<Pick<ObservableBridge, 'onConnection'>>;
  }
}

const hasConnectionEvents = (
  client: BridgeClient & Partial<Pick<ObservableBridge, 'onConnection'>>,
): client is ObservableBridge => client.onConnection !== undefined;

/** Wraps a bridge without connection events (IPC) as always open. */
function alwaysOpen(client: BridgeClient): ObservableBridge {
  return {
    send: (command) => client.send(command),
    subscribe: (listener) => client.subscribe(listener),
    close: () => client.close(),
    onConnection(listener: (info: ConnectionInfo) => void) {
      listener({ status: 'open', attempts: 0, error: null });
      return () => {};
    },
  };
}

/**
 * The same bridge, each listener's pushes going through a `MessagePacer` of its own; `rhythm`
 * hears each pacer's pace and deliveries.
 */
export function paced(bridge: ObservableBridge, clock?: PacerClock, rhythm?: PaceListener): ObservableBridge {
  return {
    send: (command) => bridge.send(command),
    subscribe(listener) {
      const pacer = new MessagePacer(listener, clock, rhythm);
      const off = bridge.subscribe((message) => pacer.push(message));
      return () => {
        off();
        pacer.stop();
      };
    },
    close: () => bridge.close(),
    onConnection: (listener) => bridge.onConnection(listener),
    // Optional members of the bridge are passed on as they are (present or absent).
    ...(bridge.retryNow ? { retryNow: () => bridge.retryNow?.() } : {}),
  };
}

export function createBridge(): ObservableBridge {
  const ipc = window.poolscope;
  // The page's periodic redraws (its beat) come with live data, no more often than it does.
  if (ipc) return paced(hasConnectionEvents(ipc) ? ipc : alwaysOpen(ipc), undefined, pageBeat);
  if (window.location.protocol === 'file:') {
    throw new Error('No engine bridge: open the dashboard from `poolscope serve --ui` or the desktop app.');
  }
  return paced(new WebSocketBridgeClient({ url: bridgeUrl(window.location) }), undefined, pageBeat);
}
