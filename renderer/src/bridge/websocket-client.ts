/**
 * BridgeClient over a WebSocket (web mode): `ws://<host>/bridge?token=…`, one JSON message per frame
 * (event batches packed: protocol/event-wire.ts).
 * Reconnects with backoff; commands sent while the socket is down wait in a queue. A command
 * already sent when the connection drops is rejected (the engine may or may not have run it).
 * Each reply is checked against the protocol's schema for its command: JSON does not carry every
 * value as it was (a NaN arrives as null), so what the engine sent is not taken on trust.
 */
import {
  fromWire,
  parseReply,
  type BridgeClient,
  type CommandInput,
  type ReplyMessage,
  type ReplyTo,
  type ServerMessage,
  type WireServerMessage,
} from '../../../protocol/index.ts';

const OPEN = 1; // WebSocket.OPEN

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** Reconnect attempts since the last successful open. */
  attempts: number;
  /** Why the last connection ended, when known. */
  error: string | null;
}

export interface ObservableBridge extends BridgeClient {
  /** Connection state changes (web mode); an IPC bridge is always open. */
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  /** Reconnects now instead of at the end of the backoff (the banner's Retry); absent where the link never drops. */
  retryNow?(): void;
}

/** A command as sent: defaults are left to the engine, which validates it on arrival (`clientMessageSchema`). */
interface SentMessage {
  id: number;
  command: CommandInput;
}

interface Pending {
  /** Checks the result of a successful reply and resolves with it (or rejects if it is not the reply to its command). */
  settle: (result: unknown) => void;
  reject: (error: Error) => void;
}

export interface WebSocketClientOptions {
  url: string;
  /** Backoff between reconnects: starts here, doubles, stops growing at `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** For tests: the WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket;
}

export class WebSocketBridgeClient implements ObservableBridge {
  readonly #options: Required<Omit<WebSocketClientOptions, 'WebSocketImpl'>> & { WebSocketImpl: typeof WebSocket };
  readonly #listeners = new Set<(message: ServerMessage) => void>();
  readonly #connectionListeners = new Set<(info: ConnectionInfo) => void>();
  readonly #pending = new Map<number, Pending>();
  readonly #queue: SentMessage[] = [];
  #socket: WebSocket | null = null;
  #nextId = 1;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #info: ConnectionInfo = { status: 'connecting', attempts: 0, error: null };

  constructor(options: WebSocketClientOptions) {
    this.#options = {
      url: options.url,
      minDelayMs: options.minDelayMs ?? 300,
      maxDelayMs: options.maxDelayMs ?? 5000,
      WebSocketImpl: options.WebSocketImpl ?? WebSocket,
    };
    this.#connect();
  }

  send<C extends CommandInput>(command: C): Promise<ReplyTo<C>> {
    if (this.#closed) return Promise.reject(new Error('the dashboard connection is closed'));
    const id = this.#nextId++;
    const message: SentMessage = { id, command };
    return new Promise<ReplyTo<C>>((resolve, reject) => {
      const settle = (result: unknown): void => {
        const parsed = parseReply<C['type']>(command.type, result);
        if (parsed.ok) resolve(parsed.result);
        else reject(new Error(parsed.error));
      };
      this.#pending.set(id, { settle, reject });
      if (this.#socket?.readyState === OPEN) this.#socket.send(JSON.stringify(message));
      else this.#queue.push(message);
    });
  }

  subscribe(listener: (message: ServerMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    this.#connectionListeners.add(listener);
    listener(this.#info);
    return () => this.#connectionListeners.delete(listener);
  }

  retryNow(): void {
    // Only between attempts: a socket still connecting (or open) is left alone.
    if (this.#closed || this.#socket !== null) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#connect();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.close();
    this.#failPending(new Error('the dashboard connection is closed'), true);
    this.#setInfo({ status: 'closed', attempts: this.#info.attempts, error: null });
  }

  #connect(): void {
    const socket = new this.#options.WebSocketImpl(this.#options.url);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#setInfo({ status: 'open', attempts: 0, error: null });
      for (const message of this.#queue.splice(0)) socket.send(JSON.stringify(message));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        // Taken as the engine wrote it: pushes are not checked (a reply's result is, by its command's
        // schema), but an events batch that does not unpack is dropped like text that does not parse.
        message = fromWire(JSON.parse(event.data) as WireServerMessage);
      } catch {
        return;
      }
      if (message.kind === 'reply') this.#settle(message);
      for (const listener of this.#listeners) listener(message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      // Sent but unanswered: the engine may have run them, so they are not re-sent.
      this.#failPending(new Error('connection to the engine lost'), false);
      if (this.#closed) return;
      const attempts = opened ? 1 : this.#info.attempts + 1;
      const reason =
        event.reason || (opened ? 'connection lost' : 'cannot connect to the engine (refused or unreachable)');
      this.#setInfo({ status: 'connecting', attempts, error: reason });
      const delay = Math.min(this.#options.maxDelayMs, this.#options.minDelayMs * 2 ** Math.min(10, attempts - 1));
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
  }

  #settle(reply: ReplyMessage): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.settle(reply.result);
    else pending.reject(new Error(reply.error));
  }

  /** Rejects commands waiting for a reply; queued (never sent) ones stay unless `all`. */
  #failPending(error: Error, all: boolean): void {
    const queued = new Set(all ? [] : this.#queue.map((m) => m.id));
    if (all) this.#queue.length = 0;
    for (const [id, pending] of this.#pending) {
      if (queued.has(id)) continue;
      this.#pending.delete(id);
      pending.reject(error);
    }
  }

  #setInfo(info: ConnectionInfo): void {
    this.#info = info;
    for (const listener of this.#connectionListeners) listener(info);
  }
}

/** The bridge URL for the page's own origin, with the page's token. */
export function bridgeUrl(location: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/bridge?token=${encodeURIComponent(token)}`;
}
