import WebSocket from 'ws';
import { toWire, type ServerMessage } from '../../protocol/index.ts';
import type { DashboardSession } from '../bridge/dashboard-session.ts';

/** Largest message a dashboard may send: commands are small, so 1 MiB is generous. */
export const MAX_BRIDGE_MESSAGE_BYTES = 1024 * 1024;
/**
 * Unread messages kept for one dashboard before it is disconnected: a page that stops reading
 * (a frozen tab, a hostile client) must not make the engine buffer event batches without end.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Readable reasons for the close codes `ws` sends on its own when a client breaks the rules. */
const CLOSE_REASONS: Record<number, string> = {
  1002: 'WebSocket protocol error',
  1007: 'invalid UTF-8 in a text message',
  1009: `message too big: the limit is ${formatBytes(MAX_BRIDGE_MESSAGE_BYTES)}`,
};

/**
 * `ws` closes a connection whose client sent an oversized or malformed frame with just a code;
 * this class (handed to `WebSocketServer` as its `WebSocket`) adds the reason a person can read.
 */
export class BridgeSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    super.close(code, data ?? (code !== undefined ? CLOSE_REASONS[code] : undefined));
  }
}

/**
 * Each message's JSON as the WebSocket carries it, made once however many dashboards it goes to
 * (the session sends the same message object to each; packing and serialising a loaded batch is
 * the engine's main cost of an open page).
 */
const wireJson = new WeakMap<ServerMessage, string>();
function toWireJson(message: ServerMessage): string {
  let json = wireJson.get(message);
  if (json === undefined) {
    json = JSON.stringify(toWire(message));
    wireJson.set(message, json);
  }
  return json;
}

export interface BridgeConnectionOptions {
  log: (line: string) => void;
  maxBufferedBytes: number;
}

/** Attaches one accepted WebSocket to the session: pushes out, commands in, every error handled. */
export function connectBridgeSocket(session: DashboardSession, ws: WebSocket, options: BridgeConnectionOptions): void {
  let detach = (): void => {};
  /**
   * Bytes of the attach snapshot not yet written out, not counted against `maxBufferedBytes`: it
   * carries the engine's history (bounded by `HISTORY_MAX_BYTES` and its summary), which may be
   * near or past the bound on its own, and a page just opened has not stopped reading.
   */
  let snapshotAllowance = 0;
  const peer = {
    send: (message: ServerMessage): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      try {
        const json = toWireJson(message);
        if (message.kind === 'snapshot' && message.snapshot.history) {
          snapshotAllowance = Buffer.byteLength(json);
          ws.send(json, () => {
            snapshotAllowance = 0;
          });
        } else ws.send(json);
      } catch (error) {
        // Called from the event bus and timers: a failure must end this connection, not escape.
        options.log(`dashboard connection closed: could not send a message: ${String(error)}`);
        detach();
        ws.terminate();
        return;
      }
      if (ws.bufferedAmount > options.maxBufferedBytes + snapshotAllowance) {
        options.log(
          `dashboard connection closed: it stopped reading (over ${formatBytes(options.maxBufferedBytes)} of messages waiting)`,
        );
        detach();
        // A close frame would wait behind what it does not read: cut the connection.
        ws.terminate();
      }
    },
  };
  // An error closes this connection only (ws has already started closing it); say why.
  ws.on('error', (error) => options.log(`dashboard connection closed: ${error.message}`));
  ws.on('close', () => detach());
  ws.on('message', (data, isBinary) => {
    let raw: unknown;
    try {
      raw = JSON.parse(
        (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString(),
      );
    } catch {
      peer.send({
        kind: 'reply',
        id: -1,
        ok: false,
        error: `invalid command: not JSON${isBinary ? ' (a binary message)' : ''}`,
      });
      return;
    }
    session
      .receive(peer, raw)
      .catch((error: unknown) => options.log(`error: a dashboard command failed unexpectedly: ${String(error)}`));
  });
  detach = session.attach(peer);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
