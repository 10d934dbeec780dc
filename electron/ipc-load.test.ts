/**
 * Loading a component from a hostile path through the Electron shell: electron/main.ts under plain
 * Node with the FAKE `electron` module (test-support/fake-electron.ts; Electron's binary cannot
 * be installed here), as in main.test.ts. The engine, the IPC bridge and the paths are real: a
 * FIFO with no writer, /dev/zero, /proc, a directory, a sparse 1.5 GiB file, a text file.
 * Each `load` over IPC, and a dropped FIFO named like a component, must get the engine's precise
 * message at once, and the component served before keeps serving.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommandResult, Snapshot } from '../protocol/bridge.ts';
import { IPC } from './ipc-channels.ts';
import { waitUntil } from '../engine/test/support/wait-until.ts';

const FAKE_ELECTRON = new URL('./test-support/fake-electron.ts', import.meta.url).href;
registerHooks({
  resolve: (specifier, context, next) =>
    specifier === 'electron' ? { url: FAKE_ELECTRON, shortCircuit: true } : next(specifier, context),
});

const dir = await mkdtemp(join(tmpdir(), 'poolscope-ipc-load-'));
process.env.POOLSCOPE_USER_DATA = join(dir, 'user-data');
process.argv = [process.argv[0]!, join(import.meta.dirname, 'main.ts'), '--addr', '127.0.0.1:0'];

const fake = await import('./test-support/fake-electron.ts');
type Win = InstanceType<typeof fake.BrowserWindow>;

const paths = {
  fifo: join(dir, 'pipe.wasm'),
  directory: join(dir, 'folder.wasm'),
  tooLarge: join(dir, 'huge.wasm'),
  notWasm: join(dir, 'notes.wasm'),
  devZero: '/dev/zero',
  procStatus: '/proc/self/status',
};
const HOSTILE: Array<[keyof typeof paths, RegExp]> = [
  ['fifo', /pipe\.wasm is a FIFO \(named pipe\), not a regular file/],
  ['devZero', /^\/dev\/zero is a character device, not a regular file/],
  ['procStatus', /^\/proc\/self\/status is in \/proc/],
  ['directory', /folder\.wasm is a directory, not a regular file/],
  ['tooLarge', /huge\.wasm is 1536 MiB, more than the 256 MiB a component file may be/],
  ['notWasm', /notes\.wasm is not a WebAssembly file/],
];

describe('hostile component paths through the Electron shell (fake Electron, real engine)', { timeout: 60_000 }, () => {
  let win: Win;
  const command = async (cmd: unknown): Promise<CommandResult> =>
    (await fake.ipcMain.invokeFrom(win.webContents, IPC.command, cmd)) as CommandResult;
  const served = async (): Promise<Snapshot> => {
    const reply = await command({ type: 'snapshot' });
    assert.equal(reply.ok, true);
    return (reply as { result: Snapshot }).result;
  };

  before(async () => {
    execFileSync('mkfifo', [paths.fifo]);
    await mkdir(paths.directory);
    await writeFile(paths.tooLarge, '');
    await truncate(paths.tooLarge, 1536 * 1024 * 1024); // sparse
    await writeFile(paths.notWasm, 'not wasm\n');
    await import('./main.ts');
    fake.app.becomeReady();
    win = await waitUntil('the window', () => fake.BrowserWindow.all[0]);
    await waitUntil('demo:counter to be served', () => win.title === 'demo:counter — Poolscope');
  });

  after(async () => {
    fake.app.quit();
    await fake.app.quitted;
    // Should a load still be stuck opening the FIFO (the bug), a writer lets it go, so the file ends.
    const writer = await open(paths.fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
    await writer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a load command over IPC gets the reason; the old component keeps serving', async () => {
    const before = await served();
    assert.equal(before.component?.spec, 'demo:counter');
    for (const [name, reason] of HOSTILE) {
      const reply = await command({ type: 'load', component: paths[name] });
      assert.equal(reply.ok, false, name);
      assert.match((reply as { error: string }).error, reason, name);
      const now = await served();
      assert.equal(now.component?.spec, 'demo:counter', `${name}: still serving the counter`);
      assert.equal(now.listenUrl, before.listenUrl, `${name}: the same server`);
      assert.match(await (await fetch(now.listenUrl!)).text(), /^count=\d+/, `${name}: and it answers`);
    }
  });

  it('a dropped FIFO named like a component gets a dialog with the reason, and changes nothing', async () => {
    fake.ipcMain.sendFrom(win.webContents, IPC.openDropped, paths.fifo);
    const shown = await waitUntil('an error dialog', () =>
      fake.dialog.errors.find((e) => e.message === 'Could not open pipe.wasm'),
    );
    assert.match(shown.detail ?? '', /pipe\.wasm is a FIFO \(named pipe\), not a regular file/);
    assert.equal(win.title, 'demo:counter — Poolscope');
    assert.match(await (await fetch((await served()).listenUrl!)).text(), /^count=\d+/);
  });
});
