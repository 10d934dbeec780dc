/**
 * The desktop app's main process: runs the engine (one `DashboardSession`, which owns the pool and
 * its instance threads) in this process, shows the dashboard in one hardened window, and connects
 * the two over IPC (ipc-bridge.ts). Desktop conventions: File → Open Component…, drag and drop a
 * `.wasm`, recent components, a Demos menu, remembered window bounds, one instance at a time.
 *
 * Electron runs this file bundled into JavaScript with the engine (electron/bundle-main.ts →
 * electron/build/main/main.mjs; its threads start from their own bundled files), so nothing
 * relies on Electron's Node stripping TypeScript. Tests run it from source under plain Node.
 *
 *   electron electron/build/main/main.mjs [component] [--addr HOST:PORT]     (npm start runs this)
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, screen, session as electronSession, shell } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardSession } from '../engine/bridge/dashboard-session.ts';
import { sendRequestsFromDashboard } from '../engine/bridge/send-requests.ts';
import { reportServingChanges } from '../engine/bridge/serving-lines.ts';
import { reportSessionToStderr } from '../engine/bridge/session-stderr.ts';
import { dropStdioOutputOnceBroken } from '../engine/events/broken-output.ts';
import type { PoolKnobs, Snapshot } from '../protocol/index.ts';
import { installMainProcessErrorPolicy } from './error-policy.ts';
import {
  loadWindowState,
  RecentComponents,
  saveWindowState,
  saveWindowStateSync,
  type WindowState,
} from './app-state.ts';
import { connectIpcBridge, type IpcBridge } from './ipc-bridge.ts';
import type { TrustedPage } from './ipc-validation.ts';
import { parseLaunchArgs } from './launch-args.ts';
import { buildMenuTemplate } from './menu.ts';
import { createMainWindow, hardenContents, hardenSession, isExternalUrlAllowed, pageUrlOf } from './window-options.ts';

const APP_NAME = 'Poolscope';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DASHBOARD_PAGE = join(ROOT, 'renderer', 'dist', 'index.html');
const MISSING_PAGE = join(ROOT, 'electron', 'dashboard-missing.html');
const PRELOAD = join(ROOT, 'electron', 'build', 'preload.cjs');
const ICON = join(ROOT, 'assets', 'icon.png');
// Our own package.json, which has a version.
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Opened when the app starts with no component: something to watch at once. */
const DEFAULT_COMPONENT = 'demo:counter';
/**
 * The app starts with reuse on (the CLI's WASIp2 default is 1, no reuse): reuse is what it shows.
 * Idle instances live 30 s, not the CLI's 1 s, so requests typed by hand a few seconds apart reach
 * the same instance (count=1, count=2, …); the knob panel shows it and changes it.
 */
const STARTING_KNOBS: Partial<PoolKnobs> = { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 30_000 };
/** `poolscope serve`'s default address; a free port when something else has it. */
const PREFERRED_ADDR = { host: '127.0.0.1', port: 8080 };

const log = (line: string): void => void process.stderr.write(`${line}\n`);

app.setName(APP_NAME);
// One user-data folder however the app is started (`electron electron/main.ts` would say "Electron").
app.setPath('userData', process.env.POOLSCOPE_USER_DATA ?? join(app.getPath('appData'), APP_NAME));
app.enableSandbox();
// The packaged app ships its demo guests prebuilt (no toolchain inside it): trust their manifest.
if (app.isPackaged) process.env.POOLSCOPE_PREBUILT_GUESTS ??= '1';

let engine: DashboardSession | null = null;
let bridge: IpcBridge | null = null;
let mainWindow: BrowserWindow | null = null;
let pageUrl = '';
let recent: RecentComponents | null = null;
/** A component asked for before the engine was ready (macOS open-file, a second instance). */
let pendingOpen: string | null = null;

// A terminal or parent that stops reading our output is not an error to show (nor to log to it).
dropStdioOutputOnceBroken();
// Explicit policy: an unexpected error is logged, shown in a dialog and in the dashboard (so a
// window opened later still says it), and the app keeps its window and engine.
installMainProcessErrorPolicy(process, {
  log,
  notify: (message) => {
    engine?.reportProblem(
      `unexpected error in the main process (the app keeps running; details in the terminal): ${message}`,
    );
    const options = {
      type: 'error' as const,
      message: `${APP_NAME} hit an unexpected error`,
      detail: `${message}\n\nThe app and the engine keep running; the details are in the terminal.`,
      buttons: ['OK'],
    };
    const shown =
      mainWindow && !mainWindow.isDestroyed()
        ? dialog.showMessageBox(mainWindow, options)
        : dialog.showMessageBox(options);
    shown.catch((error: unknown) => log(`error: could not show the error: ${String(error)}`));
  },
});

const launch = parseLaunchArgs(process.argv.slice(1));
for (const error of launch.errors) log(`error: ${error}`);

if (!app.requestSingleInstanceLock()) {
  // Another Poolscope has this user-data folder: it gets our arguments (second-instance) instead.
  app.quit();
} else {
  app.on('second-instance', (_event, argv, cwd) => {
    const { component } = parseLaunchArgs(argv.slice(1), cwd);
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    } else if (app.isReady()) {
      void createWindow();
    }
    if (component) void openComponent(component);
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    if (engine) void openComponent(path);
    else pendingOpen = path;
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (!mainWindow && engine) void createWindow();
  });
  installQuitHandling();
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`error: ${APP_NAME} could not start: ${detail}`);
      if (mainWindow && !mainWindow.isDestroyed()) {
        // The window is up, so the engine and its bridge are: the dashboard shows what is (not) served.
        engine?.reportProblem(
          `${APP_NAME} could not finish starting: ${error instanceof Error ? error.message : String(error)}`,
        );
        void dialog
          .showMessageBox(mainWindow, {
            type: 'error',
            message: `${APP_NAME} could not finish starting`,
            detail,
            buttons: ['OK'],
          })
          .catch(() => {});
        return;
      }
      dialog.showErrorBox(`${APP_NAME} could not start`, detail);
      app.exit(70);
    });
}

async function start(): Promise<void> {
  const userData = app.getPath('userData');
  recent = new RecentComponents(userData);
  await recent.load();
  app.setAboutPanelOptions({
    applicationName: APP_NAME,
    applicationVersion: VERSION,
    credits: 'Serves wasi:http components through a pool of reusable instances, and shows what reuse does.',
    ...(process.platform === 'darwin' ? {} : { iconPath: ICON }),
  });

  const session = new DashboardSession({
    component: null,
    knobs: STARTING_KNOBS,
    listen: launch.addr ?? (await preferredAddress()),
    onFrontDoorError: (message) => log(`error: ${message}`),
  });
  session.useRequestSender(sendRequestsFromDashboard);
  reportSessionToStderr(session, { loggingPrefix: true });
  session.attach({ send: (message) => message.kind === 'snapshot' && onSnapshot(message.snapshot) });
  // The served address in the terminal, as the CLI prints it (a scenario's guests and its end too).
  reportServingChanges(session, log);
  engine = session;

  hardenSession(electronSession.defaultSession, {
    get pageUrl() {
      return pageUrl;
    },
    roots: [dirname(DASHBOARD_PAGE), MISSING_PAGE],
    onBlocked: (url) => log(`blocked a request from the dashboard window: ${url.slice(0, 200)}`),
  });
  bridge = connectIpcBridge({
    ipcMain,
    session,
    trustedPage,
    openDropped: (path) => void openComponent(path),
    warn: (line) => log(`warning: ${line}`),
  });

  rebuildMenu();
  await createWindow();
  await openComponent(pendingOpen ?? launch.component ?? DEFAULT_COMPONENT);
  pendingOpen = null;
}

function trustedPage(): TrustedPage | null {
  const win = mainWindow;
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return null;
  return { webContentsId: win.webContents.id, mainFrame: win.webContents.mainFrame, pageUrl };
}

async function createWindow(): Promise<void> {
  // npm start builds it; without it the page has no bridge and says it cannot reach the engine.
  if (!existsSync(PRELOAD))
    log(`the preload is not built (${PRELOAD}): run \`node electron/build.ts\` (npm start does)`);
  const page = existsSync(DASHBOARD_PAGE) ? DASHBOARD_PAGE : MISSING_PAGE;
  if (page === MISSING_PAGE)
    log('the dashboard is not built (renderer/dist): showing how to build it; the engine serves anyway');
  pageUrl = pageUrlOf(page);
  const userData = app.getPath('userData');
  const state = await loadWindowState(
    userData,
    screen.getAllDisplays().map((display) => display.workArea),
  );
  const { maximized, ...bounds } = state;
  const win = createMainWindow({
    BrowserWindow,
    preload: PRELOAD,
    ...(process.platform === 'darwin' ? {} : { icon: ICON }),
    bounds,
    devTools: !app.isPackaged,
    page,
    onOpenWasm: (path) => void openComponent(path),
    isExternalAllowed: (url) => isExternalUrlAllowed(url, engine?.snapshot().listenUrl ?? null),
    openExternal: (url) => void shell.openExternal(url),
    onLoadError: (error) =>
      log(`error: could not load the dashboard: ${error instanceof Error ? error.message : String(error)}`),
  });
  if (maximized) win.maximize();
  mainWindow = win;
  win.on('page-title-updated', (event) => event.preventDefault());
  updateTitle(engine?.snapshot() ?? null);
  rememberBounds(win, userData);
  let crashes = 0;
  win.webContents.on('render-process-gone', (_event, details) => {
    log(`the dashboard's renderer process is gone (${details.reason})`);
    if (details.reason !== 'clean-exit' && ++crashes <= 3 && !win.isDestroyed()) win.webContents.reload();
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
}

/** Saves the bounds after moves and resizes (debounced) and on close. */
function rememberBounds(win: BrowserWindow, userData: string): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const capture = (): WindowState => ({ ...win.getNormalBounds(), maximized: win.isMaximized() });
  const save = (): void => {
    if (win.isDestroyed()) return;
    saveWindowState(userData, capture()).catch((error: unknown) =>
      log(`warning: could not save the window state: ${String(error)}`),
    );
  };
  const later = (): void => {
    clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('maximize', later);
  win.on('unmaximize', later);
  win.on('close', () => {
    clearTimeout(timer);
    try {
      saveWindowStateSync(userData, capture());
    } catch (error) {
      log(`warning: could not save the window state: ${String(error)}`);
    }
  });
}

let lastSpec: string | null = null;

/** Every snapshot (whoever loaded what): title and the recent list. */
function onSnapshot(snapshot: Snapshot): void {
  updateTitle(snapshot);
  const spec = snapshot.component?.spec ?? null;
  if (spec && spec !== lastSpec && snapshot.serving) {
    lastSpec = spec;
    void addRecent(spec);
  }
}

function updateTitle(snapshot: Snapshot | null): void {
  const win = mainWindow;
  if (!win || win.isDestroyed()) return;
  const component = snapshot?.component;
  win.setTitle(component ? `${component.name} — ${APP_NAME}` : APP_NAME);
  if (process.platform === 'darwin')
    win.setRepresentedFilename(component && !component.spec.startsWith('demo:') ? component.spec : '');
}

async function addRecent(spec: string): Promise<void> {
  if (!recent) return;
  try {
    await recent.add(spec);
    if (!spec.startsWith('demo:')) app.addRecentDocument(spec);
  } catch (error) {
    log(`warning: could not save the recent components: ${String(error)}`);
  }
  rebuildMenu();
}

/** Loads a component (a `.wasm` path or `demo:<name>`); a failure is shown and changes nothing. */
async function openComponent(spec: string): Promise<boolean> {
  const session = engine;
  if (!session) {
    pendingOpen = spec;
    return false;
  }
  const label = spec.startsWith('demo:') ? spec : basename(spec);
  try {
    // The engine checks the path (regular file, size cap) and says precisely what is wrong.
    await session.execute({ type: 'load', component: spec });
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`error: could not open ${spec}: ${message}`);
    const options = { type: 'error' as const, message: `Could not open ${label}`, detail: message, buttons: ['OK'] };
    if (mainWindow && !mainWindow.isDestroyed()) await dialog.showMessageBox(mainWindow, options);
    else await dialog.showMessageBox(options);
    return false;
  }
}

/** Demos → Teaching Scenarios: the dashboard shows its captions; a refusal (one running) gets a dialog. */
async function runScenario(name: string): Promise<void> {
  try {
    await engine?.execute({ type: 'runScenario', name, quick: false });
  } catch (error) {
    dialog.showErrorBox('Could not start the scenario', error instanceof Error ? error.message : String(error));
  }
}

async function openComponentDialog(): Promise<void> {
  const options: Electron.OpenDialogOptions = {
    title: 'Open Component',
    buttonLabel: 'Open',
    filters: [{ name: 'WebAssembly components', extensions: ['wasm'] }],
    properties: ['openFile'],
  };
  const result =
    mainWindow && !mainWindow.isDestroyed()
      ? await dialog.showOpenDialog(mainWindow, options)
      : await dialog.showOpenDialog(options);
  const path = result.filePaths[0];
  if (!result.canceled && path) await openComponent(path);
}

function rebuildMenu(): void {
  const template = buildMenuTemplate({
    platform: process.platform,
    appName: APP_NAME,
    demos: engine?.snapshot().demos ?? [],
    scenarios: engine?.snapshot().scenarios ?? [],
    recent: recent?.list ?? [],
    developer: !app.isPackaged,
    actions: {
      openComponentDialog: () => void openComponentDialog(),
      openComponent: (spec) => void openComponent(spec),
      runScenario: (name) => void runScenario(name),
      clearRecent: () => {
        app.clearRecentDocuments();
        void recent?.clear().then(rebuildMenu);
      },
      openServedAddress: () => {
        const url = engine?.snapshot().listenUrl;
        if (url) void shell.openExternal(url);
        else shell.beep();
      },
      showAbout: () => app.showAboutPanel(),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** 127.0.0.1:8080 like `poolscope serve`, or a free port fixed for this run if 8080 is taken. */
async function preferredAddress(): Promise<{ host: string; port: number }> {
  const tryListen = (port: number): Promise<number | null> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, PREFERRED_ADDR.host, () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : null;
        server.close(() => resolve(bound));
      });
    });
  const port = (await tryListen(PREFERRED_ADDR.port)) ?? (await tryListen(0)) ?? 0;
  if (port !== PREFERRED_ADDR.port)
    log(`${PREFERRED_ADDR.host}:${PREFERRED_ADDR.port} is in use: serving on port ${port} instead`);
  return { host: PREFERRED_ADDR.host, port };
}

/** Quitting stops the engine gracefully first: in-flight requests finish, instances exit. */
function installQuitHandling(): void {
  let stopped = false;
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    void (async () => {
      bridge?.dispose();
      const session = engine;
      if (!session) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tooLong = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log('instances did not stop within 5 s: terminating them');
          session.serving?.pool.terminate();
          resolve();
        }, 5000);
      });
      await Promise.race([session.close(), tooLong]);
      clearTimeout(timer);
    })()
      .catch((error: unknown) => log(`error while stopping: ${String(error)}`))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
}
