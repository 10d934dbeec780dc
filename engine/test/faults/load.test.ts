/**
 * Fault injection: loading a component from a hostile path. Every path below used to hang or eat
 * memory (a FIFO with no writer blocked load, stop and shutdown; /dev/zero never ended; a 1.5 GB
 * sparse file was read whole to check 8 bytes). Each must now be refused at once with a message
 * naming the path and the reason, from the engine, the CLI and a dashboard alike, and a server
 * that was serving keeps serving its component.
 *
 * Memory bound: loading all of them grows this process's RSS by less than 64 MiB (the 200 MiB
 * sparse file alone would add 200 MiB if it were read whole).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGuestsBuilt, guestPath } from '../../../assets/guests/build.ts';
import { DashboardSession } from '../../bridge/dashboard-session.ts';
import { loadComponent } from '../../component/load.ts';
import { MAX_COMPONENT_FILE_BYTES } from '../../component/read-component-file.ts';
import { startDashboardServer } from '../../web/dashboard-server.ts';
import { connectBridge } from '../support/bridge-client.ts';
import { runCli } from '../support/cli.ts';
import { loadError } from '../support/load-error.ts';

const MiB = 1024 * 1024;
const RSS_GROWTH_BOUND = 64 * MiB;
/** A hang guard, not a measurement: every refusal here takes milliseconds. */
const HANG_GUARD = { timeout: 20_000 };

await ensureGuestsBuilt();
const dir = await mkdtemp(join(tmpdir(), 'poolscope-faults-load-'));
const paths = {
  fifo: join(dir, 'pipe.wasm'),
  socket: join(dir, 'socket.wasm'),
  directory: join(dir, 'folder.wasm'),
  notWasm: join(dir, 'notes.wasm'),
  tooLarge: join(dir, 'huge.wasm'),
  sparseNotWasm: join(dir, 'zeros.wasm'),
  toProc: join(dir, 'status.wasm'),
  toHello: join(dir, 'hello-link.wasm'),
  devZero: '/dev/zero',
  procStatus: '/proc/self/status',
  sys: '/sys/kernel', // present wherever sysfs is mounted
};
let socketServer: Server;

before(async () => {
  execFileSync('mkfifo', [paths.fifo]);
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(paths.socket, resolve));
  await mkdir(paths.directory);
  await writeFile(paths.notWasm, 'this is a text file, not wasm\n');
  await writeFile(paths.tooLarge, '');
  await truncate(paths.tooLarge, 1536 * MiB); // sparse: no disk, no memory
  await writeFile(paths.sparseNotWasm, '');
  await truncate(paths.sparseNotWasm, 200 * MiB); // under the cap: refused by its first 8 bytes
  await symlink('/proc/self/status', paths.toProc);
  await symlink(guestPath('hello'), paths.toHello);
});

after(async () => {
  // Should a load still be stuck opening the FIFO (the bug), a writer lets it go, so the file ends.
  const writer = await open(paths.fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
  await writer?.close();
  socketServer.close();
  await rm(dir, { recursive: true, force: true });
});

/** Path → what the message must say (it always names the path). */
const HOSTILE: Array<[keyof typeof paths, RegExp]> = [
  ['fifo', /is a FIFO \(named pipe\), not a regular file/],
  ['socket', /is a socket, not a regular file/],
  ['devZero', /is a character device, not a regular file/],
  ['directory', /is a directory, not a regular file/],
  ['procStatus', /is in \/proc \(it resolves to \/proc\/\d+\/status\), a kernel pseudo-filesystem/],
  ['toProc', /is in \/proc \(it resolves to \/proc\/\d+\/status\), a kernel pseudo-filesystem/],
  ['sys', /is in \/sys, a kernel pseudo-filesystem/],
  ['tooLarge', /is 1536 MiB, more than the 256 MiB a component file may be/],
  ['sparseNotWasm', /is not a WebAssembly file/],
  ['notWasm', /is not a WebAssembly file/],
];

describe('loading from a hostile path (engine)', HANG_GUARD, () => {
  it('refuses each at once, naming the path and the reason, within the memory bound', async () => {
    const rssBefore = process.memoryUsage.rss();
    for (const [name, reason] of HOSTILE) {
      const message = await loadError(paths[name]);
      assert.match(message, reason, name);
      assert.ok(message.startsWith(paths[name]), `${name}: the message names the path: ${message}`);
    }
    const growth = process.memoryUsage.rss() - rssBefore;
    assert.ok(growth < RSS_GROWTH_BOUND, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
  });

  it('states the cap it enforces', () => {
    assert.equal(MAX_COMPONENT_FILE_BYTES, 256 * MiB);
  });

  it('still loads a symlink to a regular component', async () => {
    const loaded = await loadComponent(paths.toHello);
    assert.equal(loaded.world, 'wasip2');
  });
});

describe('from the CLI', HANG_GUARD, () => {
  for (const name of ['fifo', 'devZero'] as const) {
    it(`poolscope serve ${name} exits 1 with the reason, before listening`, async () => {
      const { code, stderr } = await runCli(['serve', paths[name], '--addr', '127.0.0.1:0']).exited;
      assert.equal(code, 1);
      assert.match(
        stderr,
        name === 'fifo'
          ? /^error: .*pipe\.wasm is a FIFO \(named pipe\)/m
          : /^error: \/dev\/zero is a character device/m,
      );
      assert.doesNotMatch(stderr, /Serving HTTP/);
    });
  }
});

describe('from a dashboard (web mode, real WebSocket)', HANG_GUARD, () => {
  it('a failed load replies with the reason; the old component keeps serving; stop and close do not hang', async () => {
    const staticDir = join(dir, 'ui');
    await mkdir(staticDir);
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Poolscope</title>');
    const session = new DashboardSession({ component: 'demo:hello', listen: { host: '127.0.0.1', port: 0 } });
    await session.start();
    const server = await startDashboardServer(session, { host: '127.0.0.1', port: 0 }, staticDir);
    const client = await connectBridge(server.address.port, `token=${server.token}`);
    try {
      const command = (body: unknown) => client.command(body);
      const url = session.serving!.frontDoor.url;
      for (const [name, reason] of HOSTILE) {
        const reply = await command({ type: 'load', component: paths[name] });
        assert.equal(reply.ok, false, name);
        assert.match(reply.ok ? '' : reply.error, reason, name);
        assert.equal(session.serving?.component.spec, 'demo:hello', `${name}: the old component is still served`);
        assert.equal(await (await fetch(url)).text(), 'Hello, WASI!', `${name}: the server still answers`);
      }
      assert.equal((await command({ type: 'stop' })).ok, true);
    } finally {
      client.ws.close();
      await server.close();
      await session.close();
    }
  });
});
