/**
 * The preload of the dashboard window (sandboxed, context-isolated). It exposes exactly one thing
 * to the page, `window.poolscope`, a `BridgeClient` — send a command, subscribe to server
 * messages, close — and passes dropped `.wasm` files to the main process. No Electron or Node
 * object ever reaches the page: not `ipcRenderer`, not an IPC event.
 *
 * Sandboxed preloads cannot import modules: this file is bundled (with ipc-channels.ts) into
 * electron/build/preload.cjs by electron/build.ts.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { BridgeClient, CommandInput, ReplyTo, ServerMessage } from '../protocol/bridge.ts';
import {
  IPC,
  type InvokeChannel,
  type InvokeChannels,
  type MainToRendererChannels,
  type RendererToMainChannel,
  type RendererToMainChannels,
} from './ipc-channels.ts';

function invoke<C extends InvokeChannel>(
  channel: C,
  ...args: InvokeChannels[C]['args']
): Promise<InvokeChannels[C]['reply']> {
  // The main process handles each channel with the reply type the channel map gives it (ipc-bridge.ts).
  return ipcRenderer.invoke(channel, ...args) as Promise<InvokeChannels[C]['reply']>;
}

function tell<C extends RendererToMainChannel>(channel: C, ...args: RendererToMainChannels[C]): void {
  ipcRenderer.send(channel, ...args);
}

const listeners = new Set<(message: ServerMessage) => void>();
let attached = false;

ipcRenderer.on(IPC.messages, (_event, ...args: unknown[]) => {
  // The main process sends this channel with the channel map's arguments; the batch is checked to be an array.
  const [batch] = args as MainToRendererChannels[typeof IPC.messages];
  if (!Array.isArray(batch)) return;
  for (const message of batch) {
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch (error) {
        console.error('poolscope: a bridge listener threw', error);
      }
    }
  }
});

const api: BridgeClient = {
  async send<C extends CommandInput>(command: C): Promise<ReplyTo<C>> {
    const reply = await invoke(IPC.command, command);
    if (!reply.ok) throw new Error(reply.error);
    // The main process ran this command through the session's typed `execute`, and structured
    // clone carries the reply unchanged (unlike JSON, which the WebSocket client checks for).
    return reply.result as ReplyTo<C>;
  },
  subscribe(listener: (message: ServerMessage) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function');
    listeners.add(listener);
    if (!attached) {
      attached = true;
      tell(IPC.attach); // the engine answers with a snapshot, then streams events
    }
    return () => {
      listeners.delete(listener);
    };
  },
  close(): void {
    listeners.clear();
    if (attached) {
      attached = false;
      tell(IPC.detach);
    }
  },
};

contextBridge.exposeInMainWorld('poolscope', api);

// Drag and drop a component onto the window: the page need not handle it. Capture phase, so it
// runs first; preventDefault so the window never navigates to the dropped file.
const carriesFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') ?? false;

window.addEventListener(
  'dragover',
  (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  },
  true,
);

window.addEventListener(
  'drop',
  (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    for (const file of Array.from(event.dataTransfer?.files ?? [])) {
      const path = webUtils.getPathForFile(file);
      if (path && path.toLowerCase().endsWith('.wasm')) {
        tell(IPC.openDropped, path);
        return;
      }
    }
  },
  true,
);
