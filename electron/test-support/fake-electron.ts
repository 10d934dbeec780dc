/**
 * A FAKE `electron` module, for running electron/main.ts under plain Node in tests: Electron's
 * binary cannot be installed here. It has only what main.ts touches, records what it is asked to
 * do, and lets a test play the renderer (invoke/send over the fake ipcMain as the window's frame).
 * It is not Electron: window options are recorded, not enforced; nothing is rendered.
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Plays `ipcRenderer.invoke` from a frame: arguments and reply are structured-cloned. */
  async invokeFrom(sender: FakeWebContents, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return structuredClone(await handler({ sender, senderFrame: sender.mainFrame }, ...structuredClone(args)));
  }
  /** Plays `ipcRenderer.send` from a frame. */
  sendFrom(sender: FakeWebContents, channel: string, ...args: unknown[]): void {
    this.emit(channel, { sender, senderFrame: sender.mainFrame }, ...structuredClone(args));
  }
}

let nextId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame = { url: '', processId: 100 + this.id, routingId: 1, parent: null };
  readonly sent: Array<[string, unknown[]]> = [];
  openHandler: ((details: { url: string }) => unknown) | null = null;
  destroyed = false;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, structuredClone(args)]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.openHandler = handler;
  }
  reload(): void {}
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed);
  }
  readonly options: Record<string, unknown>;
  readonly webContents = new FakeWebContents();
  title = '';
  loaded: string | null = null;
  shown = false;
  destroyed = false;
  bounds = { x: 0, y: 0, width: 0, height: 0 };
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    this.bounds = { x: 0, y: 0, width: Number(options.width ?? 800), height: Number(options.height ?? 600) };
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadFile(path: string): Promise<void> {
    this.loaded = path;
    this.webContents.mainFrame.url = pathToFileURL(path).href;
    setImmediate(() => this.emit('ready-to-show'));
  }
  show(): void {
    this.shown = true;
  }
  maximize(): void {}
  isMaximized(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setTitle(title: string): void {
    this.title = title;
  }
  setRepresentedFilename(): void {}
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return this.bounds;
  }
  close(): void {
    this.emit('close', { preventDefault() {} });
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.webContents.emit('destroyed');
    this.emit('closed');
    if (BrowserWindow.getAllWindows().length === 0) app.emit('window-all-closed');
  }
}

class FakeApp extends EventEmitter {
  name = 'Electron';
  isPackaged = false;
  readonly paths = new Map<string, string>([['appData', '/tmp/fake-electron-appdata']]);
  readonly recentDocuments: string[] = [];
  aboutOptions: unknown = null;
  exitCode: number | null = null;
  #ready = false;
  #readyResolve!: () => void;
  readonly #readyPromise = new Promise<void>((resolve) => (this.#readyResolve = resolve));
  #quitResolve!: () => void;
  /** Resolves once the app really quit (no before-quit handler held it back). */
  readonly quitted = new Promise<void>((resolve) => (this.#quitResolve = resolve));

  setName(name: string): void {
    this.name = name;
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    if (!path) throw new Error(`fake app has no path '${name}'`);
    return path;
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
  }
  enableSandbox(): void {}
  requestSingleInstanceLock(): boolean {
    return true;
  }
  whenReady(): Promise<void> {
    return this.#readyPromise;
  }
  isReady(): boolean {
    return this.#ready;
  }
  /** The test says when Electron would be ready. */
  becomeReady(): void {
    this.#ready = true;
    this.#readyResolve();
    this.emit('ready');
  }
  setAboutPanelOptions(options: unknown): void {
    this.aboutOptions = options;
  }
  showAboutPanel(): void {}
  addRecentDocument(path: string): void {
    this.recentDocuments.push(path);
  }
  clearRecentDocuments(): void {
    this.recentDocuments.length = 0;
  }
  quit(): void {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => void (prevented = true) });
    if (prevented) return;
    this.emit('will-quit', { preventDefault() {} });
    this.#quitResolve();
  }
  exit(code = 0): void {
    this.exitCode = code;
    this.#quitResolve();
  }
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();

export const dialog = {
  errors: [] as Array<{ title?: string; message: string; detail?: string }>,
  nextOpenPaths: [] as string[],
  showErrorBox(title: string, message: string): void {
    this.errors.push({ title, message });
  },
  async showMessageBox(...args: unknown[]): Promise<{ response: number }> {
    const options = (args.length > 1 ? args[1] : args[0]) as { message: string; detail?: string };
    this.errors.push({ message: options.message, ...(options.detail ? { detail: options.detail } : {}) });
    return { response: 0 };
  },
  async showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }> {
    const path = this.nextOpenPaths.shift();
    return path ? { canceled: false, filePaths: [path] } : { canceled: true, filePaths: [] };
  },
};

export const Menu = {
  current: null as unknown[] | null,
  buildFromTemplate(template: unknown[]): unknown[] {
    return template;
  },
  setApplicationMenu(menu: unknown[] | null): void {
    this.current = menu;
  },
};

export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
};

class FakeSession extends EventEmitter {
  permissionRequestHandler: unknown = null;
  permissionCheckHandler: unknown = null;
  deviceHandler: unknown = null;
  readonly webRequest = {
    headersReceived: null as unknown,
    beforeRequest: null as unknown,
    onHeadersReceived: (_filter: unknown, listener: unknown) => {
      this.webRequest.headersReceived = listener;
    },
    onBeforeRequest: (_filter: unknown, listener: unknown) => {
      this.webRequest.beforeRequest = listener;
    },
  };
  setPermissionRequestHandler(handler: unknown): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: unknown): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: unknown): void {
    this.deviceHandler = handler;
  }
}

export const session = { defaultSession: new FakeSession() };

export const shell = {
  opened: [] as string[],
  async openExternal(url: string): Promise<void> {
    this.opened.push(url);
  },
  beep(): void {},
};

export default { app, BrowserWindow, dialog, ipcMain, Menu, screen, session, shell };
