/**
 * Picks the transport: the Electron preload's `window.poolscope` when present (IPC), else a
 * WebSocket to the page's own origin (web mode).
 */
import type { BridgeClient } from '../../../protocol/index.ts';
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

export function createBridge(): ObservableBridge {
  const ipc = window.poolscope;
  if (ipc) return hasConnectionEvents(ipc) ? ipc : alwaysOpen(ipc);
  if (window.location.protocol === 'file:') {
    throw new Error('No engine bridge: open the dashboard from `poolscope serve --ui` or the desktop app.');
  }
  return new WebSocketBridgeClient({ url: bridgeUrl(window.location) });
}
