/**
 * electron/main.ts itself, run under plain Node with a FAKE `electron` module
 * (test-support/fake-electron.ts, swapped in with a module resolve hook): Electron's binary cannot
 * be installed here. The engine, the IPC bridge, the menu and the JSON state are real; the window
 * is a recording, and this test plays the renderer over the fake ipcMain. What it proves: main.ts's
 * wiring — first start opens demo:counter with reuse 128, commands and pushes flow, strangers are
 * refused, drops / will-navigate / menus / the open dialog open components, recents and bounds are
 * saved, quitting stops the engine. What it cannot prove: anything Electron itself does (see
 * e2e.test.ts for that).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { MenuItemConstructorOptions } from 'electron';
import type { CommandResult, ServerMessage, Snapshot } from '../protocol/bridge.ts';
import { IPC } from './ipc-channels.ts';
import { waitUntil } from '../engine/test/support/wait-until.ts';

const FAKE_ELECTRON = new URL('./test-support/fake-electron.ts', import.meta.url).href;
registerHooks({
  resolve: (specifier, context, next) =>
    specifier === 'electron' ? { url: FAKE_ELECTRON, shortCircuit: true } : next(specifier, context),
});

const ROOT = join(import.meta.dirname, '..');
const GUESTS = join(ROOT, 'assets', 'guests', 'dist');
const userData = mkdtempSync(join(tmpdir(), 'poolscope-main-'));
process.env.POOLSCOPE_USER_DATA = userData;
process.argv = [process.argv[0]!, join(import.meta.dirname, 'main.ts'), '--addr', '127.0.0.1:0'];

const fake = await import('./test-support/fake-electron.ts');
type Win = InstanceType<typeof fake.BrowserWindow>;

const menuItem = (label: string): MenuItemConstructorOptions =>
  (fake.Menu.current as MenuItemConstructorOptions[]).find((item) => item.label?.replace('&', '') === label)!;
const submenu = (item: MenuItemConstructorOptions): MenuItemConstructorOptions[] =>
  item.submenu as MenuItemConstructorOptions[];
const click = (item: MenuItemConstructorOptions | undefined): void => (item?.click as () => void)();

describe('main.ts under a fake Electron', { timeout: 120_000 }, () => {
  let win: Win;
  const command = async (cmd: unknown): Promise<CommandResult> =>
    (await fake.ipcMain.invokeFrom(win.webContents, IPC.command, cmd)) as CommandResult;

  /** main.ts's own handlers of unexpected errors (the test runner has its own). */
  let errorHandlers: {
    uncaught: NodeJS.UncaughtExceptionListener | undefined;
    rejection: NodeJS.UnhandledRejectionListener | undefined;
  };

  before(async () => {
    const runnerUncaught = new Set(process.listeners('uncaughtException'));
    const runnerRejection = new Set(process.listeners('unhandledRejection'));
    await import('./main.ts');
    errorHandlers = {
      uncaught: process.listeners('uncaughtException').find((l) => !runnerUncaught.has(l)),
      rejection: process.listeners('unhandledRejection').find((l) => !runnerRejection.has(l)),
    };
    assert.equal(fake.app.name, 'Poolscope');
    assert.equal(fake.app.getPath('userData'), userData);
    fake.app.becomeReady();
    win = await waitUntil('the window', () => fake.BrowserWindow.all[0]);
    await waitUntil('demo:counter to be served', () => win.title === 'demo:counter — Poolscope');
  });

  after(async () => {
    fake.app.quit(); // no-op once quit; otherwise (a failed test) stops the engine so the process can end
    await fake.app.quitted;
    rmSync(userData, { recursive: true, force: true });
  });

  it('makes one hardened window showing the built dashboard, with the bundled preload', () => {
    const prefs = win.options.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.preload, join(ROOT, 'electron', 'build', 'preload.cjs'));
    assert.ok(existsSync(prefs.preload as string), 'the preload is built before the window opens');
    const page = existsSync(join(ROOT, 'renderer', 'dist', 'index.html'))
      ? join(ROOT, 'renderer', 'dist', 'index.html')
      : join(ROOT, 'electron', 'dashboard-missing.html');
    assert.equal(win.loaded, page);
    assert.equal(win.shown, true);
    assert.deepEqual(win.webContents.openHandler?.({ url: 'https://example.com/' }), { action: 'deny' });
    const session = fake.session.defaultSession;
    assert.ok(
      session.permissionRequestHandler &&
        session.permissionCheckHandler &&
        session.webRequest.headersReceived &&
        session.webRequest.beforeRequest,
    );
  });

  it('first start serves demo:counter with reuse 128; commands over IPC reach the engine', async () => {
    const reply = await command({ type: 'snapshot' });
    assert.equal(reply.ok, true);
    const snapshot = (reply as { result: Snapshot }).result;
    assert.equal(snapshot.component?.spec, 'demo:counter');
    assert.equal(snapshot.knobs.maxInstanceReuseCount, 128);
    assert.equal(
      snapshot.knobs.idleInstanceTimeoutMs,
      30_000,
      'requests typed by hand seconds apart reach the same instance',
    );
    assert.equal(snapshot.problem, null);
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push((await (await fetch(snapshot.listenUrl!)).text()).trim());
    assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3']);
    assert.match(((await command({ type: 'explode' })) as { error: string }).error, /^invalid command/);
  });

  it('pushes server messages to the page once it subscribes', async () => {
    fake.ipcMain.sendFrom(win.webContents, IPC.attach);
    const batch = await waitUntil('a push', () => win.webContents.sent.find(([channel]) => channel === IPC.messages));
    const messages = batch[1][0] as ServerMessage[];
    assert.equal(messages[0]?.kind, 'snapshot');
  });

  it('refuses a stranger: another WebContents, or our window showing another page', async () => {
    const stranger = new fake.FakeWebContents();
    stranger.mainFrame.url = win.webContents.mainFrame.url;
    await assert.rejects(
      fake.ipcMain.invokeFrom(stranger, IPC.command, { type: 'stop' }),
      /refused: message from another WebContents/,
    );
    const ours = win.webContents.mainFrame.url;
    win.webContents.mainFrame.url = pathToFileURL('/tmp/elsewhere.html').href;
    await assert.rejects(command({ type: 'stop' }), /refused: message from an unexpected page/);
    win.webContents.mainFrame.url = ours;
    assert.equal(((await command({ type: 'snapshot' })) as { result: Snapshot }).result.serving, true, 'still serving');
  });

  it('opens a dropped .wasm (preload channel), and one the window tried to navigate to', async () => {
    fake.ipcMain.sendFrom(win.webContents, IPC.openDropped, join(GUESTS, 'hello.wasm'));
    await waitUntil('hello to be served', () => win.title === 'hello.wasm — Poolscope');
    let prevented = false;
    win.webContents.emit('will-navigate', {
      url: pathToFileURL(join(GUESTS, 'echo.wasm')).href,
      preventDefault: () => void (prevented = true),
    });
    assert.equal(prevented, true);
    await waitUntil('echo to be served', () => win.title === 'echo.wasm — Poolscope');
  });

  it('has a Demos menu one click from each demo, and File → Open Component… / Open Recent', async () => {
    const demos = submenu(menuItem('Demos'));
    assert.ok(demos.some((d) => d.label === 'counter'));
    click(demos.find((d) => d.label === 'sleep'));
    await waitUntil('sleep to be served', () => win.title === 'demo:sleep — Poolscope');

    const file = submenu(menuItem('File'));
    const recent = await waitUntil('the recent list in the menu', () => {
      const items = submenu(submenu(menuItem('File')).find((i) => i.id === 'open-recent')!);
      return items.length >= 6 && items;
    });
    assert.deepEqual(
      recent.slice(0, 4).map((i) => i.label),
      ['demo:sleep', 'echo.wasm', 'hello.wasm', 'demo:counter'],
    );
    assert.deepEqual(JSON.parse(readFileSync(join(userData, 'recent-components.json'), 'utf8')).recent.slice(0, 2), [
      'demo:sleep',
      join(GUESTS, 'echo.wasm'),
    ]);
    assert.ok(fake.app.recentDocuments.includes(join(GUESTS, 'hello.wasm')), 'paths go to the OS recent documents too');

    fake.dialog.nextOpenPaths.push('/no/such/guest.wasm');
    click(file.find((i) => i.id === 'open-component'));
    await waitUntil('an error dialog', () => fake.dialog.errors.find((e) => e.message === 'Could not open guest.wasm'));
    assert.equal(win.title, 'demo:sleep — Poolscope', 'a failed open changes nothing');
    const failed = ((await command({ type: 'snapshot' })) as { result: Snapshot }).result;
    assert.match(
      failed.problem?.message ?? '',
      /^could not load \/no\/such\/guest\.wasm: /,
      'the dashboard shows the failure too',
    );
    assert.equal(failed.serving, true);

    fake.dialog.nextOpenPaths.push(join(GUESTS, 'counter.wasm'));
    click(file.find((i) => i.id === 'open-component'));
    await waitUntil(
      'counter.wasm to be served',
      () => win.title === 'counter.wasm — Poolscope' && fake.app.recentDocuments.includes(join(GUESTS, 'counter.wasm')),
    );
    assert.equal(
      ((await command({ type: 'snapshot' })) as { result: Snapshot }).result.problem,
      null,
      'serving again clears the problem',
    );
  });

  it('an unexpected error is logged and shown once; the window stays and the engine keeps serving', async () => {
    const { uncaught, rejection } = errorHandlers;
    assert.ok(uncaught && rejection, 'main.ts handles uncaught exceptions and unhandled rejections');
    const shownBefore = fake.dialog.errors.length;
    uncaught(new Error('boom from a test'), 'uncaughtException');
    uncaught(new Error('boom from a test'), 'uncaughtException');
    rejection('a rejection from a test', Promise.resolve());
    const shown = fake.dialog.errors.slice(shownBefore);
    assert.deepEqual(
      shown.map((e) => e.detail?.split('\n')[0]),
      ['boom from a test', 'a rejection from a test'],
      'each distinct error is shown once',
    );
    assert.equal(shown[0]?.message, 'Poolscope hit an unexpected error');
    assert.equal(win.isDestroyed(), false, 'the window stays');
    assert.equal(fake.app.exitCode, null, 'the app does not exit');
    const snapshot = ((await command({ type: 'snapshot' })) as { result: Snapshot }).result;
    assert.equal((await fetch(snapshot.listenUrl!)).status, 200, 'the engine still serves');
    assert.match(
      snapshot.problem?.message ?? '',
      /^unexpected error in the main process .*: a rejection from a test$/,
      'the dashboard says so too',
    );
  });

  it('saves the window bounds and stops the engine when the last window closes', async () => {
    const served = ((await command({ type: 'snapshot' })) as { result: Snapshot }).result.listenUrl!;
    win.close();
    await fake.app.quitted;
    assert.deepEqual(JSON.parse(readFileSync(join(userData, 'window-state.json'), 'utf8')), {
      x: 0,
      y: 0,
      width: 1320,
      height: 880,
      maximized: false,
    });
    await assert.rejects(fetch(served), 'the front door is closed');
  });
});
