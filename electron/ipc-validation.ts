/**
 * Checks on everything that arrives over IPC, before the main process acts on it: who sent it
 * (our window's main frame, showing our page) and what it is (a valid command, an absolute
 * `.wasm` path). Pure functions over the few properties of Electron's objects they read, so the
 * tests can drive them with fakes.
 */
import { isAbsolute } from 'node:path';
import { commandSchema, type Command } from '../protocol/bridge.ts';

/** The parts of `WebFrameMain` the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
  readonly parent: unknown;
}

/** The parts of `IpcMainEvent` / `IpcMainInvokeEvent` the sender check reads. */
export interface IpcEventLike {
  readonly sender: { readonly id: number };
  /** Null when the frame navigated away or was destroyed before the message was handled. */
  readonly senderFrame: FrameLike | null;
}

/** The one page allowed to talk to the engine: our window's main frame, showing our `index.html`. */
export interface TrustedPage {
  webContentsId: number;
  mainFrame: FrameLike | null;
  /** The exact file URL of the dashboard page (query and hash are ignored when comparing). */
  pageUrl: string;
}

/**
 * Why a message must be ignored, or null when it comes from our page. Every file:// page shares one
 * (opaque) origin, so "our origin" is checked as the exact URL of our `index.html`, not the scheme.
 */
export function untrustedSenderReason(event: IpcEventLike, page: TrustedPage | null): string | null {
  if (!page) return 'no dashboard window is open';
  if (event.sender?.id !== page.webContentsId) return 'message from another WebContents';
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null) return 'message from a subframe';
  const main = page.mainFrame;
  if (!main || frame.processId !== main.processId || frame.routingId !== main.routingId)
    return 'message from a frame other than the main frame';
  if (!sameDocument(frame.url, page.pageUrl)) return `message from an unexpected page (${describeUrl(frame.url)})`;
  return null;
}

function sameDocument(actual: string, expected: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(actual);
    b = new URL(expected);
  } catch {
    return false;
  }
  if (a.protocol !== 'file:' || b.protocol !== 'file:') return false;
  return a.host === b.host && a.pathname === b.pathname;
}

function describeUrl(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url || 'empty URL';
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** A dashboard command, validated by the engine's own schema (the same messages as web mode). */
export function parseCommand(raw: unknown): Parsed<Command> {
  const parsed = commandSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: `invalid command: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'command'}: ${i.message}`).join('; ')}`,
  };
}

const MAX_PATH_LENGTH = 4096;

/** The path of a dropped file: an absolute path to a `.wasm` file, nothing else. */
export function parseDroppedPath(raw: unknown, platform: NodeJS.Platform = process.platform): Parsed<string> {
  if (typeof raw !== 'string') return { ok: false, error: 'dropped path must be a string' };
  if (raw.length === 0 || raw.length > MAX_PATH_LENGTH)
    return { ok: false, error: 'dropped path is empty or too long' };
  if (raw.includes('\0')) return { ok: false, error: 'dropped path contains a NUL character' };
  const absolute = platform === 'win32' ? /^(?:[A-Za-z]:[\\/]|\\\\)/.test(raw) : isAbsolute(raw) && raw.startsWith('/');
  if (!absolute) return { ok: false, error: 'dropped path must be absolute' };
  if (!raw.toLowerCase().endsWith('.wasm')) return { ok: false, error: 'only .wasm components can be opened' };
  return { ok: true, value: raw };
}

/** Channels that carry no arguments must carry none. */
export function parseNoArguments(args: readonly unknown[]): Parsed<void> {
  return args.length === 0 ? { ok: true, value: undefined } : { ok: false, error: 'unexpected arguments' };
}
