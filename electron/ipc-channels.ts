/**
 * The one map of IPC channels between the main process and the preload, shared by both (the
 * preload bundles this file; it must stay free of runtime imports). Every channel is listed with
 * its direction and payload types, in the manner of GitHub Desktop's typed channel maps, so a
 * channel can't be sent with the wrong arguments or handled with the wrong reply.
 */
import type { CommandInput, CommandResult, ServerMessage } from '../protocol/bridge.ts';

export const IPC = {
  /** renderer → main, invoke: one dashboard command; answered with a `CommandResult`. */
  command: 'poolscope:command',
  /** renderer → main, send: the page subscribed; attach it to the session (it gets a snapshot). */
  attach: 'poolscope:attach',
  /** renderer → main, send: the page closed its bridge; stop pushing to it. */
  detach: 'poolscope:detach',
  /** renderer → main, send: a `.wasm` file was dropped on the window; its absolute path. */
  openDropped: 'poolscope:open-dropped',
  /** main → renderer: server messages, in order, batched per turn of the main process. */
  messages: 'poolscope:messages',
} as const;

/**
 * `ipcRenderer.invoke` ↔ `ipcMain.handle`: arguments and the reply. A command's result is the
 * protocol's reply to it (`ReplyTo`); the preload gives it that type back.
 */
export interface InvokeChannels {
  [IPC.command]: { args: [command: CommandInput]; reply: CommandResult };
}

/** `ipcRenderer.send` → `ipcMain.on`: arguments; no reply. */
export interface RendererToMainChannels {
  [IPC.attach]: [];
  [IPC.detach]: [];
  [IPC.openDropped]: [path: string];
}

/** `webContents.send` → `ipcRenderer.on`: arguments. */
export interface MainToRendererChannels {
  [IPC.messages]: [batch: ServerMessage[]];
}

export type InvokeChannel = keyof InvokeChannels;
export type RendererToMainChannel = keyof RendererToMainChannels;
