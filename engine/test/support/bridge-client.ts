import WebSocket from 'ws';
import { fromWire, type PoolEvent, type ServerMessage, type WireServerMessage } from '../../../protocol/index.ts';

type Reply = Extract<ServerMessage, { kind: 'reply' }>;

export interface BridgeClient {
  ws: WebSocket;
  /** Every server message so far, in order. */
  messages: ServerMessage[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `find` returns something, checked after every message. */
  until<T>(find: () => T | undefined): Promise<T>;
  /** Sends a command and resolves with its reply. */
  command(command: unknown): Promise<Reply>;
  events(): PoolEvent[];
}

/**
 * A dashboard over a real WebSocket to `/bridge` on `port`, recording every server message (event
 * batches unpacked, as the page does).
 * Rejects when the upgrade is refused (`Unexpected server response: 403`).
 */
export async function connectBridge(
  port: number,
  query: string,
  headers: Record<string, string> = {},
): Promise<BridgeClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/bridge?${query}`, { headers });
  const messages: ServerMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(fromWire(JSON.parse(data.toString()) as WireServerMessage));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {}); // after the open, the close event carries what tests check
  const until = async <T>(find: () => T | undefined): Promise<T> => {
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  let nextId = 1;
  return {
    ws,
    messages,
    closed,
    until,
    command(command: unknown): Promise<Reply> {
      const id = nextId++;
      ws.send(JSON.stringify({ id, command }));
      return until(() => messages.find((m): m is Reply => m.kind === 'reply' && m.id === id));
    },
    events: () => messages.flatMap((m) => (m.kind === 'events' ? m.events : [])),
  };
}
