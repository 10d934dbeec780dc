/**
 * The Electron transport of the dashboard bridge (main side): what `engine/web/dashboard-server.ts`
 * is for web mode. Commands arrive by `ipcRenderer.invoke` and are answered with one reply each;
 * server messages are pushed with `webContents.send`, batched per turn of the event loop. Every
 * message is checked for its sender (our window's main frame, showing our page) and its shape;
 * anything else is ignored (and logged once per reason).
 *
 * Electron's objects come in as parameters (types only), so this module loads without the
 * Electron binary and the tests drive it with fakes.
 */
import type { DashboardPeer } from '../engine/bridge/dashboard-session.ts';
import type { Command, CommandResult, ReplyTo, ServerMessage } from '../protocol/bridge.ts';
import { IPC, type InvokeChannels, type MainToRendererChannels, type RendererToMainChannel } from './ipc-channels.ts';
import {
  parseCommand,
  parseDroppedPath,
  parseNoArguments,
  untrustedSenderReason,
  type IpcEventLike,
  type TrustedPage,
} from './ipc-validation.ts';

export interface NavigationDetails {
  isMainFrame: boolean;
  isSameDocument: boolean;
}

/** What the bridge needs of a `WebContents`: send, lifetime events, identity. */
export interface PushTarget {
  readonly id: number;
  isDestroyed(): boolean;
  send<C extends keyof MainToRendererChannels>(channel: C, ...args: MainToRendererChannels[C]): void;
  once(event: 'destroyed', listener: () => void): unknown;
  on(event: 'did-start-navigation', listener: (details: NavigationDetails) => void): unknown;
  removeListener(event: 'did-start-navigation', listener: (details: NavigationDetails) => void): unknown;
  removeListener(event: 'destroyed', listener: () => void): unknown;
}

export type BridgeEvent = IpcEventLike & { sender: PushTarget };

/** What the bridge needs of `ipcMain` (Electron's satisfies it). */
export interface IpcMainLike {
  handle(channel: string, handler: (event: BridgeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: BridgeEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: BridgeEvent, ...args: unknown[]) => void): unknown;
}

export interface BridgeSession {
  attach(peer: DashboardPeer): () => void;
  execute<C extends Command>(command: C): Promise<ReplyTo<C>>;
}

export interface IpcBridgeOptions {
  ipcMain: IpcMainLike;
  session: BridgeSession;
  /** The page allowed to talk, read at each message (the window may be re-created). */
  trustedPage(): TrustedPage | null;
  /** A validated, absolute `.wasm` path dropped on the window. */
  openDropped(path: string): void;
  /** Rejected messages (once per reason). */
  warn?: (line: string) => void;
  /** Defer a flush; `setImmediate` by default (tests may flush by hand). */
  schedule?: (flush: () => void) => void;
}

export interface IpcBridge {
  /** Peers currently attached (one per page load). */
  readonly attachedCount: number;
  dispose(): void;
}

/** Pushes to one page: queues messages and sends them in one IPC message per turn. */
class PagePeer implements DashboardPeer {
  readonly #target: PushTarget;
  readonly #schedule: (flush: () => void) => void;
  #queue: ServerMessage[] = [];
  #scheduled = false;
  #closed = false;

  constructor(target: PushTarget, schedule: (flush: () => void) => void) {
    this.#target = target;
    this.#schedule = schedule;
  }

  send(message: ServerMessage): void {
    if (this.#closed) return;
    this.#queue.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.flush());
  }

  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (this.#closed || batch.length === 0 || this.#target.isDestroyed()) return;
    this.#target.send(IPC.messages, batch);
  }

  close(): void {
    this.#closed = true;
    this.#queue = [];
  }
}

interface Attachment {
  peer: PagePeer;
  detach(): void;
}

export function connectIpcBridge(options: IpcBridgeOptions): IpcBridge {
  const { ipcMain, session } = options;
  const schedule = options.schedule ?? ((flush) => void setImmediate(flush));
  const warned = new Set<string>();
  const warn = (line: string): void => {
    if (warned.has(line)) return;
    warned.add(line);
    (options.warn ?? ((l) => process.stderr.write(`${l}\n`)))(line);
  };
  const attachments = new Map<number, Attachment>();

  /** Null when the event comes from our page; otherwise logs why it is ignored. */
  const refuse = (event: IpcEventLike, channel: RendererToMainChannel | typeof IPC.command): string | null => {
    const reason = untrustedSenderReason(event, options.trustedPage());
    if (reason) warn(`ignored IPC message on ${channel}: ${reason}`);
    return reason;
  };

  const detach = (webContentsId: number): void => {
    const attachment = attachments.get(webContentsId);
    if (!attachment) return;
    attachments.delete(webContentsId);
    attachment.detach();
  };

  const attach = (target: PushTarget): void => {
    detach(target.id); // a second attach (the page re-subscribed) starts afresh with a snapshot
    const peer = new PagePeer(target, schedule);
    const detachSession = session.attach(peer);
    const onNavigate = (details: NavigationDetails): void => {
      if (details.isMainFrame && !details.isSameDocument) detach(target.id);
    };
    const onDestroyed = (): void => detach(target.id);
    target.on('did-start-navigation', onNavigate);
    target.once('destroyed', onDestroyed);
    attachments.set(target.id, {
      peer,
      detach: () => {
        peer.close();
        detachSession();
        target.removeListener('did-start-navigation', onNavigate);
        target.removeListener('destroyed', onDestroyed);
      },
    });
  };

  const handleCommand = async (
    event: BridgeEvent,
    ...args: unknown[]
  ): Promise<InvokeChannels[typeof IPC.command]['reply']> => {
    const reason = refuse(event, IPC.command);
    if (reason) throw new Error(`refused: ${reason}`);
    if (args.length !== 1) return { ok: false, error: 'invalid command: expected exactly one command' };
    const parsed = parseCommand(args[0]);
    if (!parsed.ok) return parsed;
    try {
      const result = await session.execute(parsed.value);
      return { ok: true, result } satisfies CommandResult;
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };

  // Arguments arrive untyped (any renderer can send anything): each handler validates its own.
  const onAttach = (event: BridgeEvent, ...args: unknown[]): void => {
    if (refuse(event, IPC.attach) || !parseNoArguments(args).ok) return;
    attach(event.sender);
  };
  const onDetach = (event: BridgeEvent, ...args: unknown[]): void => {
    if (refuse(event, IPC.detach) || !parseNoArguments(args).ok) return;
    detach(event.sender.id);
  };
  const onOpenDropped = (event: BridgeEvent, ...args: unknown[]): void => {
    if (refuse(event, IPC.openDropped)) return;
    const parsed = args.length === 1 ? parseDroppedPath(args[0]) : ({ ok: false, error: 'expected one path' } as const);
    if (!parsed.ok) {
      warn(`ignored dropped file: ${parsed.error}`);
      return;
    }
    options.openDropped(parsed.value);
  };

  ipcMain.handle(IPC.command, handleCommand);
  ipcMain.on(IPC.attach, onAttach);
  ipcMain.on(IPC.detach, onDetach);
  ipcMain.on(IPC.openDropped, onOpenDropped);

  return {
    get attachedCount() {
      return attachments.size;
    },
    dispose() {
      ipcMain.removeHandler(IPC.command);
      ipcMain.removeListener(IPC.attach, onAttach);
      ipcMain.removeListener(IPC.detach, onDetach);
      ipcMain.removeListener(IPC.openDropped, onOpenDropped);
      for (const id of [...attachments.keys()]) detach(id);
    },
  };
}
