/**
 * The desktop conventions that need no window: the recent list and window bounds (JSON in the
 * user-data folder), the menu template, the command line, and locating Electron's binary.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import {
  fitWindowState,
  loadWindowState,
  MAX_RECENT,
  parseRecent,
  pushRecent,
  RecentComponents,
  saveWindowState,
  WINDOW_STATE_FILE,
} from './app-state.ts';
import { rendererState } from './build.ts';
import { locateElectronBinary } from './electron-binary.ts';
import { parseLaunchArgs } from './launch-args.ts';
import { buildMenuTemplate, recentLabel, type MenuActions } from './menu.ts';

describe('recent components', () => {
  it('keeps the most recent first, without duplicates, at most ten', () => {
    let list: string[] = [];
    for (let i = 0; i < 12; i++) list = pushRecent(list, `/g/${i}.wasm`);
    list = pushRecent(list, '/g/5.wasm');
    assert.equal(list.length, MAX_RECENT);
    assert.deepEqual(list.slice(0, 3), ['/g/5.wasm', '/g/11.wasm', '/g/10.wasm']);
    assert.deepEqual(parseRecent({ recent: ['demo:counter', 42, '', 'demo:counter', '/a.wasm'] }), [
      'demo:counter',
      '/a.wasm',
    ]);
    assert.deepEqual(parseRecent('garbage'), []);
  });

  it('survives a restart, and a damaged file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolscope-state-'));
    try {
      const first = new RecentComponents(dir);
      await first.load();
      await first.add('demo:counter');
      await first.add('/home/me/guest.wasm');
      assert.deepEqual(await new RecentComponents(dir).load(), ['/home/me/guest.wasm', 'demo:counter']);
      writeFileSync(join(dir, 'recent-components.json'), '{not json');
      assert.deepEqual(await new RecentComponents(dir).load(), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('window bounds', () => {
  const screen = { x: 0, y: 0, width: 1920, height: 1080 };

  it('restores saved bounds that are on a display', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolscope-state-'));
    try {
      await saveWindowState(dir, { x: 100, y: 80, width: 1200, height: 800, maximized: true });
      assert.deepEqual(await loadWindowState(dir, [screen]), {
        x: 100,
        y: 80,
        width: 1200,
        height: 800,
        maximized: true,
      });
      assert.match(readFileSync(join(dir, WINDOW_STATE_FILE), 'utf8'), /"maximized": true/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops a position that is off every display, and shrinks to fit', () => {
    assert.deepEqual(fitWindowState({ x: 5000, y: 100, width: 1200, height: 800, maximized: false }, [screen]), {
      width: 1200,
      height: 800,
      maximized: false,
    });
    assert.deepEqual(fitWindowState({ x: 0, y: 0, width: 4000, height: 3000, maximized: false }, [screen]), {
      x: 0,
      y: 0,
      width: 1920,
      height: 1080,
      maximized: false,
    });
    assert.deepEqual(fitWindowState({ width: 100, height: 100, maximized: false }, [screen]), {
      width: 900,
      height: 600,
      maximized: false,
    });
    assert.deepEqual(fitWindowState(null, [screen]), { width: 1320, height: 880, maximized: false });
  });
});

describe('the application menu', () => {
  const calls: string[] = [];
  const actions: MenuActions = {
    openComponentDialog: () => calls.push('dialog'),
    openComponent: (spec) => calls.push(`open ${spec}`),
    runScenario: (name) => calls.push(`scenario ${name}`),
    clearRecent: () => calls.push('clear'),
    openServedAddress: () => calls.push('browser'),
    showAbout: () => calls.push('about'),
  };
  const demos = [
    { name: 'demo:hello', description: 'answers 200' },
    { name: 'demo:counter', description: 'count=N' },
  ];
  const scenarios = [
    { name: 'state-leaks', title: 'State leaking between requests', summary: 'the counter, flagged', steps: 5 },
  ];
  const find = (items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions | undefined =>
    items.find((item) => item.label?.replace('&', '') === label);
  const click = (item: MenuItemConstructorOptions | undefined): void => (item?.click as (() => void) | undefined)?.();

  it('has File → Open Component… (Ctrl/Cmd+O), Open Recent, and a Demos menu one click from each demo', () => {
    const menu = buildMenuTemplate({
      platform: 'linux',
      appName: 'Poolscope',
      demos,
      scenarios,
      recent: ['/home/me/guest.wasm', 'demo:counter'],
      developer: false,
      actions,
    });
    const file = find(menu, 'File')!.submenu as MenuItemConstructorOptions[];
    const open = file.find((i) => i.id === 'open-component')!;
    assert.equal(open.accelerator, 'CmdOrCtrl+O');
    click(open);
    const recent = file.find((i) => i.id === 'open-recent')!.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      recent.map((i) => i.label ?? i.type),
      ['guest.wasm', 'demo:counter', 'separator', 'Clear Recent'],
    );
    click(recent[0]);
    click(recent[3]);
    const demoItems = find(menu, 'Demos')!.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      demoItems.map((i) => i.label ?? i.type),
      ['hello', 'counter', 'separator', 'Teaching Scenarios'],
    );
    click(demoItems[1]);
    click(
      (demoItems[3]!.submenu as MenuItemConstructorOptions[]).find((i) => i.label === 'State leaking between requests'),
    );
    assert.equal(file.at(-1)?.role, 'quit');
    assert.equal(menu[0]?.label, '&File', 'no app menu outside macOS');
    assert.equal(
      find(menu, 'View')!.submenu instanceof Array &&
        (find(menu, 'View')!.submenu as MenuItemConstructorOptions[]).some((i) => i.role === 'toggleDevTools'),
      false,
    );
    assert.deepEqual(calls, [
      'dialog',
      'open /home/me/guest.wasm',
      'clear',
      'open demo:counter',
      'scenario state-leaks',
    ]);
  });

  it('puts the app menu first on macOS, with DevTools in development', () => {
    const menu = buildMenuTemplate({
      platform: 'darwin',
      appName: 'Poolscope',
      demos,
      scenarios: [],
      recent: [],
      developer: true,
      actions,
    });
    assert.equal(menu[0]?.role, 'appMenu');
    assert.equal(menu[0]?.label, 'Poolscope');
    const file = find(menu, 'File')!.submenu as MenuItemConstructorOptions[];
    assert.equal(file.at(-1)?.role, 'close');
    const recent = file.find((i) => i.id === 'open-recent')!.submenu as MenuItemConstructorOptions[];
    assert.equal(recent[0]?.enabled, false);
    assert.ok((find(menu, 'View')!.submenu as MenuItemConstructorOptions[]).some((i) => i.role === 'toggleDevTools'));
    assert.equal(recentLabel('/a/b/c.wasm'), 'c.wasm');
  });
});

describe('the command line', () => {
  it('picks the component and --addr out of what Electron and Chromium add', () => {
    const args = parseLaunchArgs(
      [
        '/opt/electron',
        '--inspect=0',
        '--remote-debugging-port=0',
        'electron/main.ts',
        'guests/x.wasm',
        '--addr',
        '127.0.0.1:0',
      ],
      '/work',
    );
    assert.deepEqual(args, { component: '/work/guests/x.wasm', addr: { host: '127.0.0.1', port: 0 }, errors: [] });
    assert.equal(parseLaunchArgs(['.', 'demo:sleep']).component, 'demo:sleep');
    assert.equal(parseLaunchArgs(['--addr=nope']).errors.length, 1);
    assert.deepEqual(parseLaunchArgs([]), { component: null, addr: null, errors: [] });
  });

  it("finds Electron's binary as the electron package does, without downloading it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolscope-electron-'));
    try {
      const missing = locateElectronBinary(import.meta.url, { ELECTRON_OVERRIDE_DIST_PATH: dir });
      assert.equal(missing.found, false);
      // Where the package's path.txt says the executable is inside a dist folder ('electron' on Linux).
      const pathTxt = join(import.meta.dirname, '..', 'node_modules', 'electron', 'path.txt');
      const executable = join(dir, existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : 'electron');
      mkdirSync(dirname(executable), { recursive: true });
      writeFileSync(executable, '');
      const present = locateElectronBinary(import.meta.url, { ELECTRON_OVERRIDE_DIST_PATH: dir });
      assert.equal(present.found, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard build check (npm start)', () => {
  it('tells absent sources, a missing build, a stale build and a current one apart', () => {
    const root = mkdtempSync(join(tmpdir(), 'poolscope-renderer-'));
    try {
      assert.equal(rendererState(root), 'absent');
      mkdirSync(join(root, 'renderer', 'src'), { recursive: true });
      writeFileSync(join(root, 'renderer', 'vite.config.ts'), '');
      writeFileSync(join(root, 'renderer', 'index.html'), '');
      writeFileSync(join(root, 'renderer', 'src', 'main.tsx'), '');
      assert.equal(rendererState(root), 'missing');
      mkdirSync(join(root, 'renderer', 'dist'));
      writeFileSync(join(root, 'renderer', 'dist', 'index.html'), '');
      const past = new Date(Date.now() - 60_000);
      for (const f of ['vite.config.ts', 'index.html', 'src/main.tsx'])
        utimesSync(join(root, 'renderer', f), past, past);
      assert.equal(rendererState(root), 'current');
      writeFileSync(join(root, 'renderer', 'src', 'main.tsx'), 'changed');
      utimesSync(
        join(root, 'renderer', 'src', 'main.tsx'),
        new Date(Date.now() + 60_000),
        new Date(Date.now() + 60_000),
      );
      assert.equal(rendererState(root), 'stale');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
