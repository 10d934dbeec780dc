/**
 * The dashboard window's security settings, read from the code path the main process uses:
 * `createMainWindow` (main.ts calls it, and nothing else makes a BrowserWindow) and
 * `hardenSession`. Electron's binary cannot exist here, so BrowserWindow, WebContents and Session
 * are fakes that record what they are given; window-options.ts imports Electron for types only.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { BrowserWindowConstructorOptions } from 'electron';
import {
  checkMetaCsp,
  CONTENT_SECURITY_POLICY,
  createMainWindow,
  hardenSession,
  isExternalUrlAllowed,
  isPermissionAllowed,
  isRequestAllowed,
  type DownloadLike,
  type SessionLike,
} from './window-options.ts';

const ROOT = join(import.meta.dirname, '..');

type Listener = (...args: never[]) => unknown;

/** Records listeners and the window-open handler, like a WebContents would hold them. */
class FakeContents {
  readonly listeners = new Map<string, Listener[]>();
  openHandler: ((details: { url: string }) => { action: 'deny' }) | null = null;
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.openHandler = handler;
  }
  /** Emits a navigation-like event; returns whether some listener prevented it. */
  emitPreventable(event: string, details: Record<string, unknown>): boolean {
    let prevented = false;
    const e = { ...details, preventDefault: () => void (prevented = true) };
    for (const listener of this.listeners.get(event) ?? []) (listener as (e: unknown) => void)(e);
    return prevented;
  }
}

class FakeBrowserWindow {
  static created: FakeBrowserWindow[] = [];
  readonly webContents = new FakeContents();
  loaded: string | null = null;
  shown = false;
  readyToShow: (() => void) | null = null;
  readonly options: BrowserWindowConstructorOptions;
  constructor(options: BrowserWindowConstructorOptions) {
    this.options = options;
    FakeBrowserWindow.created.push(this);
  }
  once(_event: 'ready-to-show', listener: () => void): this {
    this.readyToShow = listener;
    return this;
  }
  show(): void {
    this.shown = true;
  }
  loadFile(path: string): Promise<void> {
    this.loaded = path;
    return Promise.resolve();
  }
}

const PAGE = join(ROOT, 'renderer', 'dist', 'index.html');

function openWindow(extra: Partial<Parameters<typeof createMainWindow<FakeBrowserWindow>>[0]> = {}): FakeBrowserWindow {
  return createMainWindow({
    BrowserWindow: FakeBrowserWindow,
    preload: '/app/electron/build/preload.cjs',
    bounds: { width: 1200, height: 800 },
    devTools: false,
    page: PAGE,
    ...extra,
  });
}

describe('the dashboard window (as createMainWindow makes it)', () => {
  it('is isolated, sandboxed, without Node, with web security on and nothing insecure allowed', () => {
    const win = openWindow();
    const prefs = win.options.webPreferences!;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.notEqual(prefs.allowRunningInsecureContent, true);
    assert.equal(prefs.experimentalFeatures, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.navigateOnDragDrop, false);
    assert.equal(prefs.enableBlinkFeatures, undefined);
    assert.equal(prefs.preload, '/app/electron/build/preload.cjs');
    assert.equal(prefs.devTools, false);
    // Shown only once painted, and it loads our page (nothing remote).
    assert.equal(win.options.show, false);
    assert.equal(win.loaded, PAGE);
    win.readyToShow?.();
    assert.equal(win.shown, true);
  });

  it('blocks every navigation, redirect, frame navigation and <webview>, and opens dropped .wasm files instead', () => {
    const opened: string[] = [];
    const win = openWindow({ onOpenWasm: (path) => opened.push(path) });
    const contents = win.webContents;
    assert.equal(contents.emitPreventable('will-navigate', { url: 'https://example.com/' }), true);
    assert.equal(contents.emitPreventable('will-navigate', { url: 'file:///etc/passwd' }), true);
    assert.equal(contents.emitPreventable('will-navigate', { url: pathToFileURL('/tmp/my guest.wasm').href }), true);
    assert.equal(
      contents.emitPreventable('will-frame-navigate', { url: 'https://example.com/', isMainFrame: false }),
      true,
    );
    assert.equal(contents.emitPreventable('will-redirect', { url: 'https://example.com/' }), true);
    assert.equal(contents.emitPreventable('will-attach-webview', {}), true);
    assert.deepEqual(opened, ['/tmp/my guest.wasm']);
  });

  it('denies every new window; only the served address may open, in the system browser', () => {
    const external: string[] = [];
    const listenUrl = 'http://127.0.0.1:8080/';
    const win = openWindow({
      openExternal: (url) => external.push(url),
      isExternalAllowed: (url) => isExternalUrlAllowed(url, listenUrl),
    });
    const handler = win.webContents.openHandler!;
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'http://127.0.0.1:8081/',
      'http://127.0.0.1:8080/count',
      'javascript:alert(1)',
    ]) {
      assert.deepEqual(handler({ url }), { action: 'deny' }, url);
    }
    assert.deepEqual(external, ['http://127.0.0.1:8080/count']);
  });

  it('is the only way the main process makes a window', () => {
    const main = readFileSync(join(import.meta.dirname, 'main.ts'), 'utf8');
    assert.match(main, /createMainWindow\(\{/, 'main.ts creates its window with createMainWindow');
    assert.match(main, /hardenSession\(electronSession\.defaultSession/, 'main.ts hardens the default session');
    for (const file of readdirSync(import.meta.dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const source = readFileSync(join(import.meta.dirname, file), 'utf8');
      const constructs = /new\s+(?:BrowserWindow|BrowserView|WebContentsView)\s*\(/.test(source);
      assert.equal(constructs, false, `${file} must not construct windows or views itself`);
    }
  });
});

describe('Content-Security-Policy', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));

  it('is strict: nothing by default, scripts only from the app, no network, no eval, no frames or plugins', () => {
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('script-src'), ["'self'"]);
    assert.deepEqual(directives.get('connect-src'), ["'none'"]);
    assert.deepEqual(directives.get('object-src'), ["'none'"]);
    assert.deepEqual(directives.get('frame-src'), ["'none'"]);
    assert.deepEqual(directives.get('base-uri'), ["'none'"]);
    assert.deepEqual(directives.get('form-action'), ["'none'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval|https?:|wss?:|\*/);
    assert.equal(
      checkMetaCsp(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`).problems.length,
      0,
    );
  });

  it('is sent as a header on every file:// response by the hardened session, replacing any other', () => {
    const session = new FakeSession();
    hardenSession(session, { pageUrl: pathToFileURL(PAGE).href, roots: [join(ROOT, 'renderer', 'dist')] });
    assert.deepEqual(session.headersFilter, { urls: ['file://*/*'] });
    let response: { responseHeaders?: Record<string, string[]> } = {};
    session.headersListener!(
      { url: pathToFileURL(PAGE).href, responseHeaders: { 'content-security-policy': ['default-src *'] } },
      (r) => (response = r),
    );
    assert.deepEqual(response.responseHeaders?.['Content-Security-Policy'], [CONTENT_SECURITY_POLICY]);
    assert.equal(response.responseHeaders?.['content-security-policy'], undefined, 'a weaker policy is dropped');
  });

  it("is not weakened by the built dashboard's own <meta> policy", (t) => {
    if (!existsSync(PAGE)) {
      t.skip('renderer/dist is not built');
      return;
    }
    const { policy, problems } = checkMetaCsp(readFileSync(PAGE, 'utf8'));
    t.diagnostic(`renderer meta CSP: ${policy}`);
    assert.ok(policy, 'the dashboard page has a CSP meta tag');
    // Both policies apply (a resource must pass each); the header is the strict one. The meta tag
    // must still never allow eval or remote/inline scripts on its own.
    const serious = problems.filter((p) => /unsafe-eval|script-src|default-src/.test(p));
    const notes = problems.filter((p) => !serious.includes(p));
    for (const note of notes) t.diagnostic(`meta CSP note (the header blocks it in the app): ${note}`);
    assert.deepEqual(serious, []);
  });
});

class FakeSession implements SessionLike {
  permissionRequest: Parameters<SessionLike['setPermissionRequestHandler']>[0] | null = null;
  permissionCheck: Parameters<SessionLike['setPermissionCheckHandler']>[0] | null = null;
  device: (() => boolean) | null = null;
  downloads: Array<(event: { preventDefault(): void }, item: DownloadLike) => void> = [];
  headersFilter: { urls: string[] } | null = null;
  headersListener: Parameters<SessionLike['webRequest']['onHeadersReceived']>[1] | null = null;
  requestListener: Parameters<SessionLike['webRequest']['onBeforeRequest']>[1] | null = null;
  setPermissionRequestHandler(handler: Parameters<SessionLike['setPermissionRequestHandler']>[0]): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: Parameters<SessionLike['setPermissionCheckHandler']>[0]): void {
    this.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: () => boolean): void {
    this.device = handler;
  }
  on(_event: 'will-download', listener: (event: { preventDefault(): void }, item: DownloadLike) => void): this {
    this.downloads.push(listener);
    return this;
  }
  webRequest = {
    onHeadersReceived: (filter: { urls: string[] }, listener: NonNullable<FakeSession['headersListener']>) => {
      this.headersFilter = filter;
      this.headersListener = listener;
    },
    onBeforeRequest: (_filter: { urls: string[] }, listener: NonNullable<FakeSession['requestListener']>) => {
      this.requestListener = listener;
    },
  };
}

describe('session guards', () => {
  const pageUrl = pathToFileURL(PAGE).href;
  const session = new FakeSession();
  const blocked: string[] = [];
  hardenSession(session, { pageUrl, roots: [join(ROOT, 'renderer', 'dist')], onBlocked: (url) => blocked.push(url) });

  it('denies every permission request but clipboard writes from our page', () => {
    const ask = (permission: string, requestingUrl: string): boolean => {
      let granted: boolean | null = null;
      session.permissionRequest!(null, permission, (g) => (granted = g), { requestingUrl });
      return granted!;
    };
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'fullscreen',
      'pointerLock',
      'hid',
      'serial',
      'usb',
    ]) {
      assert.equal(ask(permission, pageUrl), false, permission);
    }
    assert.equal(ask('clipboard-sanitized-write', pageUrl), true);
    assert.equal(ask('clipboard-sanitized-write', 'file:///tmp/other.html'), false);
    assert.equal(session.permissionCheck!(null, 'media', 'file://', { requestingUrl: pageUrl }), false);
    assert.equal(session.device!(), false);
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', undefined, pageUrl), false);
  });

  it('cancels every download but a recording the page built, and every request outside the app', () => {
    const downloadCancelled = (url: string, filename: string): boolean => {
      let prevented = false;
      session.downloads[0]!(
        { preventDefault: () => void (prevented = true) },
        { getURL: () => url, getFilename: () => filename },
      );
      return prevented;
    };
    assert.equal(
      downloadCancelled(
        'blob:file:///5f0c2a1e-7d3b-4b8e-9a57-1f2e3d4c5b6a',
        'poolscope-demo-counter-2026-11-25T10-42-15Z.poolscope.json',
      ),
      false,
    );
    assert.equal(
      downloadCancelled('https://example.com/x.poolscope.json', 'x.poolscope.json'),
      true,
      'nothing from the network',
    );
    assert.equal(downloadCancelled('blob:file:///5f0c2a1e', 'payload.exe'), true, 'only recordings');
    assert.equal(downloadCancelled('file:///etc/passwd', 'passwd'), true);
    const cancelled = (url: string): boolean => {
      let cancel: boolean | undefined;
      session.requestListener!({ url }, (r) => (cancel = r.cancel));
      return cancel === true;
    };
    assert.equal(cancelled(pageUrl), false);
    assert.equal(cancelled(pathToFileURL(join(ROOT, 'renderer', 'dist', 'assets', 'index.js')).href), false);
    assert.equal(cancelled('data:image/png;base64,AAAA'), false);
    assert.equal(cancelled('devtools://devtools/bundled/inspector.html'), false);
    assert.equal(cancelled('https://example.com/x.js'), true);
    assert.equal(cancelled('ws://127.0.0.1:9090/bridge'), true);
    assert.equal(cancelled('file:///etc/passwd'), true);
    assert.equal(
      cancelled(pathToFileURL(join(ROOT, 'renderer', 'dist-evil', 'x.js')).href),
      true,
      'a sibling folder with the same prefix',
    );
    assert.equal(blocked.length, 4);
    assert.equal(isRequestAllowed('not a url', []), false);
  });
});
