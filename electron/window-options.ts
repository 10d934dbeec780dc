/**
 * How the dashboard window is made and locked down: its options, its Content-Security-Policy, the
 * guards on navigation, new windows, permissions and requests. The main process creates its
 * window through `createMainWindow` and hardens its session through `hardenSession`, so the tests
 * read the very options and policies in use.
 *
 * Electron is imported for types only: this module loads without the Electron binary; its objects
 * are passed in.
 */
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron';
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The dashboard's policy. No remote anything: scripts, styles, fonts and images only from the app's
 * own files (styles may be inline: React and the charts set `style` attributes), no network at all
 * (the engine is reached over IPC, not fetch or WebSocket), no plugins, frames, workers or forms.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'none'"],
  'media-src': ["'none'"],
  'object-src': ["'none'"],
  'frame-src': ["'none'"],
  'worker-src': ["'none'"],
  'manifest-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
  .join('; ');

export const MIN_WINDOW_SIZE = { width: 900, height: 600 } as const;

export interface WindowOptionsInput {
  /** Absolute path of the built (CommonJS) preload script. */
  preload: string;
  /** Window icon (Linux, Windows); macOS takes the bundle's. */
  icon?: string;
  bounds: Partial<Rectangle>;
  /** DevTools: on in development, off in packaged builds. */
  devTools: boolean;
}

/** The options of the dashboard window (Electron security checklist items 2–4, 6, 9, 12). */
export function createWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    ...input.bounds,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'Poolscope',
    ...(input.icon ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: input.devTools,
    },
  };
}

/** The page may navigate nowhere: it is one document. Dropped `.wasm` files are opened instead. */
export function wasmPathOfNavigation(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'file:' || !parsed.pathname.toLowerCase().endsWith('.wasm')) return null;
    return fileURLToPath(parsed);
  } catch {
    return null;
  }
}

/** Adds our CSP (and a few hardening headers) to a response's headers, replacing any CSP it had. */
export function withSecurityHeaders(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    result[name] = value;
  }
  result['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  result['X-Content-Type-Options'] = ['nosniff'];
  result['Referrer-Policy'] = ['no-referrer'];
  return result;
}

/**
 * Requests the app's pages may make: its own files (under `roots`) and the browser's internal
 * schemes (devtools, data: images). Everything else — http(s), ws(s), other local files — is
 * cancelled, a second wall behind the CSP.
 */
export function isRequestAllowed(url: string, roots: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  switch (parsed.protocol) {
    case 'file:': {
      let path: string;
      try {
        path = fileURLToPath(parsed);
      } catch {
        return false;
      }
      return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep));
    }
    case 'data:':
    case 'blob:':
    case 'devtools:':
    case 'chrome-extension:':
      return true;
    default:
      return false;
  }
}

/**
 * Permissions the dashboard may use: writing to the clipboard (the "copy address" button), and
 * only from our own page. Everything else (camera, notifications, geolocation, …) is refused.
 */
export function isPermissionAllowed(permission: string, requestingUrl: string | undefined, pageUrl: string): boolean {
  if (permission !== 'clipboard-sanitized-write') return false;
  if (!requestingUrl) return false;
  try {
    const a = new URL(requestingUrl);
    const b = new URL(pageUrl);
    return a.protocol === 'file:' && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/** Only the address Poolscope is serving on may be opened in the system browser (from a link). */
export function isExternalUrlAllowed(url: string, listenUrl: string | null): boolean {
  if (!listenUrl) return false;
  try {
    const a = new URL(url);
    const b = new URL(listenUrl);
    return a.protocol === 'http:' && a.origin === b.origin;
  } catch {
    return false;
  }
}

// ---- wiring, over the few parts of Electron's objects it uses (structural types, fakeable) ----

interface PreventableEvent {
  preventDefault(): void;
}

export interface ContentsLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface ContentsGuards {
  /** A `.wasm` file the page tried to navigate to (a drop the page did not take). */
  onOpenWasm?(path: string): void;
  /** Opens an allowed URL in the system browser. */
  openExternal?(url: string): void;
  /** Whether a URL may be opened in the system browser. */
  isExternalAllowed?(url: string): boolean;
}

/** Blocks navigation, redirects, new windows and `<webview>` (checklist items 11–14). */
export function hardenContents(contents: ContentsLike, guards: ContentsGuards = {}): void {
  contents.on('will-navigate', (event: PreventableEvent & { url?: string }, legacyUrl?: string) => {
    event.preventDefault();
    const path = wasmPathOfNavigation(event.url ?? legacyUrl ?? '');
    if (path) guards.onOpenWasm?.(path);
  });
  contents.on('will-frame-navigate', (event: PreventableEvent) => event.preventDefault());
  contents.on('will-redirect', (event: PreventableEvent) => event.preventDefault());
  contents.on('will-attach-webview', (event: PreventableEvent) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (guards.isExternalAllowed?.(url)) guards.openExternal?.(url);
    return { action: 'deny' };
  });
}

/** The part of Electron's `DownloadItem` the download policy reads. */
export interface DownloadLike {
  getURL(): string;
  getFilename(): string;
}

/**
 * The one download the app makes: a recording the dashboard itself built (a `blob:` URL, so no
 * network and no file of someone else's) saved as `*.poolscope.json`, through Electron's save
 * dialog. Everything else is cancelled.
 */
export function isDownloadAllowed(url: string, filename: string): boolean {
  return url.startsWith('blob:') && filename.endsWith('.poolscope.json') && !/[/\\]/.test(filename);
}

export interface SessionLike {
  setPermissionRequestHandler(
    handler: (
      webContents: unknown,
      permission: string,
      callback: (granted: boolean) => void,
      details: { requestingUrl?: string },
    ) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (
      webContents: unknown,
      permission: string,
      requestingOrigin: string,
      details: { requestingUrl?: string },
    ) => boolean,
  ): void;
  setDevicePermissionHandler(handler: () => boolean): void;
  on(event: 'will-download', listener: (event: PreventableEvent, item: DownloadLike) => void): unknown;
  webRequest: {
    onHeadersReceived(
      filter: { urls: string[] },
      listener: (
        details: { url: string; responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void,
      ) => void,
    ): void;
    onBeforeRequest(
      filter: { urls: string[] },
      listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void,
    ): void;
  };
}

export interface SessionPolicy {
  /** The dashboard page's file URL (permissions are granted to it alone). */
  pageUrl: string;
  /** Directories whose files the pages may load. */
  roots: readonly string[];
  /** Cancelled requests, for the log. */
  onBlocked?(url: string): void;
}

/** Permissions denied and downloads limited to recordings (checklist 5), CSP header on every file:// response (7), requests fenced in. */
export function hardenSession(session: SessionLike, policy: SessionPolicy): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details?.requestingUrl, policy.pageUrl)),
  );
  session.setPermissionCheckHandler((_contents, permission, _origin, details) =>
    isPermissionAllowed(permission, details?.requestingUrl, policy.pageUrl),
  );
  session.setDevicePermissionHandler(() => false);
  session.on('will-download', (event, item) => {
    if (!isDownloadAllowed(item.getURL(), item.getFilename())) event.preventDefault();
  });
  session.webRequest.onHeadersReceived({ urls: ['file://*/*'] }, (details, callback) =>
    callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) }),
  );
  session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
    const allowed = isRequestAllowed(details.url, policy.roots);
    if (!allowed) policy.onBlocked?.(details.url);
    callback({ cancel: !allowed });
  });
}

export interface WindowLike {
  readonly webContents: ContentsLike;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  loadFile(path: string): Promise<void>;
}

export interface MainWindowInput<W extends WindowLike> extends WindowOptionsInput, ContentsGuards {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => W;
  /** Absolute path of the page to show (the built dashboard's index.html). */
  page: string;
  /** A failed load (the page is missing): reported, the window still opens. */
  onLoadError?(error: unknown): void;
}

/** Creates the dashboard window: hardened before it loads anything, shown once painted. */
export function createMainWindow<W extends WindowLike>(input: MainWindowInput<W>): W {
  const win = new input.BrowserWindow(createWindowOptions(input));
  hardenContents(win.webContents, input);
  win.once('ready-to-show', () => win.show());
  win.loadFile(input.page).catch((error: unknown) => input.onLoadError?.(error));
  return win;
}

/** The file URL a page is shown at (what the sender check compares against). */
export function pageUrlOf(page: string): string {
  return pathToFileURL(page).href;
}

// ---- the renderer's own policy (its <meta> tag) ----

export interface MetaCspReport {
  policy: string | null;
  /** Things that would weaken the app's policy if the meta tag were the only one in force. */
  problems: string[];
}

/** Reads the CSP `<meta>` of a built page and lists what is weaker than the app's header. */
export function checkMetaCsp(html: string): MetaCspReport {
  const meta = /<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*>/i.exec(html)?.[0];
  const policy = meta ? (/content=(["'])(.*?)\1/is.exec(meta)?.[2]?.trim() ?? null) : null;
  if (!policy) return { policy: null, problems: ['no Content-Security-Policy meta tag'] };
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  const problems: string[] = [];
  const scripts = directives.get('script-src') ?? directives.get('default-src');
  if (!scripts) problems.push('no script-src or default-src: scripts unrestricted');
  for (const [name, sources] of directives) {
    for (const source of sources) {
      if (source === "'unsafe-eval'" || source === "'wasm-unsafe-eval'") problems.push(`${name} allows ${source}`);
      if (source === '*' || /^(?:https?:|wss?:)/i.test(source)) problems.push(`${name} allows ${source}`);
      if (source === "'unsafe-inline'" && name !== 'style-src') problems.push(`${name} allows 'unsafe-inline'`);
    }
  }
  return { policy, problems };
}
