/**
 * `npm run dist -- --dir`, packaging around a stand-in for Electron's binary (which cannot be
 * downloaded here; test-support/stand-in-electron.ts), then a look inside the package: the
 * bundled main process is what package.json names, the files threads start from and what they
 * import are unpacked beside the asar (where engine/thread-entry.ts sends them), the prebuilt demo
 * guests are there with their manifest, the dashboard and the preload are in the asar, and no
 * TypeScript source is. Then the packaged files themselves, extracted, serve demo:hello under the
 * stand-in with only the package's production dependencies.
 *
 * What it cannot check: that Electron's asar layer and fuses behave as documented (the stand-in is
 * not Electron), nor the installers (AppImage, deb), which `--dir` does not build.
 */
import asar from '@electron/asar';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { THREAD_ENTRY_NAMES } from './bundle-main.ts';
import { readFuseWire, makeStandInElectron } from './test-support/stand-in-electron.ts';
import { watchOutput } from '../engine/test/support/child-output.ts';

const ROOT = join(import.meta.dirname, '..');
const ELECTRON_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
).version;
const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
/** The thread entry points engine/thread-entry.ts starts, by their bundled names. */
const THREADS = THREAD_ENTRY_NAMES.map((name) => `${name}.mjs`);

describe('npm run dist -- --dir (with a stand-in Electron binary)', { timeout: 600_000 }, () => {
  it('puts the bundle, the unpacked threads and the prebuilt guests where the app looks for them', async (t) => {
    if (process.platform !== 'linux') {
      t.skip('the stand-in binary is a shell script for the Linux layout');
      return;
    }
    const standIn = makeStandInElectron(ELECTRON_VERSION);
    const out = mkdtempSync(join(tmpdir(), 'poolscope-dist-'));
    try {
      const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
      const dist = spawn(
        npm[0]!,
        [
          ...npm.slice(1),
          'run',
          'dist',
          '--',
          '--dir',
          `-c.electronDist=${standIn.dir}`,
          `-c.directories.output=${out}`,
        ],
        {
          cwd: ROOT,
          env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const distOutput = watchOutput(dist);
      assert.equal((await distOutput.closed).code, 0, distOutput.text());

      const app = join(out, 'linux-unpacked');
      const resources = join(app, 'resources');
      const archive = join(resources, 'app.asar');
      const unpacked = `${archive}.unpacked`;
      assert.ok(existsSync(join(app, 'poolscope')), 'the executable, renamed');
      // electron/electron-builder.yml's electronFuses, flipped on the stand-in's fuse wire:
      // runAsNode 0, cookie encryption 1, NODE_OPTIONS 0, --inspect 0, asar integrity 1, asar only 1, v8 snapshot 0, file protocol 1.
      assert.equal(readFuseWire(join(app, 'poolscope')), '01001101');

      const files = new Set(asar.listPackage(archive, { isPack: false }).map((path) => path.replaceAll('\\', '/')));
      const packagedJson = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as { main: string };
      assert.equal(packagedJson.main, PACKAGE_JSON.main);
      assert.equal(packagedJson.main, 'electron/build/main/main.mjs');
      for (const path of [
        packagedJson.main,
        'electron/build/main/main.bundle.mjs',
        'electron/build/preload.cjs',
        'electron/dashboard-missing.html',
        'renderer/dist/index.html',
        'assets/icon.png',
      ]) {
        assert.ok(files.has(`/${path}`), `${path} is in the asar`);
      }
      const ours = [...files].filter((path) => !path.startsWith('/node_modules/'));
      assert.deepEqual(
        ours.filter((path) => path.endsWith('.ts')),
        [],
        'no TypeScript sources in the package',
      );
      assert.deepEqual(
        ours.filter((path) => path.startsWith('/engine/')),
        [],
        'the engine is bundled, not shipped as sources',
      );

      // Threads start from app.asar.unpacked (engine/thread-entry.ts), and import from its node_modules.
      for (const thread of THREADS)
        assert.ok(existsSync(join(unpacked, 'electron', 'build', 'threads', thread)), `${thread} is unpacked`);
      // The main process stays inside the asar, under its integrity fuses: nothing of it is unpacked.
      assert.ok(!existsSync(join(unpacked, 'electron', 'build', 'main')), 'the main process is not unpacked');
      // Source maps name the sources for stack traces, without carrying them.
      const threadMaps = readdirSync(join(unpacked, 'electron', 'build', 'threads')).filter((file) =>
        file.endsWith('.map'),
      );
      assert.ok(threadMaps.length > 0);
      for (const map of threadMaps)
        assert.equal(
          (
            JSON.parse(readFileSync(join(unpacked, 'electron', 'build', 'threads', map), 'utf8')) as {
              sourcesContent?: unknown;
            }
          ).sourcesContent,
          undefined,
          map,
        );
      const manifest = JSON.parse(
        readFileSync(join(unpacked, 'assets', 'guests', 'dist', 'manifest.json'), 'utf8'),
      ) as { guests?: Record<string, unknown> };
      const localManifest = JSON.parse(
        readFileSync(join(ROOT, 'assets', 'guests', 'dist', 'manifest.json'), 'utf8'),
      ) as unknown;
      assert.deepEqual(manifest, localManifest, "the prebuilt guests' manifest");
      for (const demo of ['hello', 'counter', 'p3-hello', 'js-counter']) {
        assert.ok(existsSync(join(unpacked, 'assets', 'guests', 'dist', `${demo}.wasm`)), `${demo}.wasm is unpacked`);
      }
      for (const dependency of [
        'zod',
        '@bytecodealliance/preview2-shim',
        '@bytecodealliance/preview3-shim',
        '@bytecodealliance/jco-transpile',
        'binaryen',
        'autocannon',
      ]) {
        assert.ok(
          existsSync(join(unpacked, 'node_modules', dependency, 'package.json')),
          `${dependency} is unpacked for the threads`,
        );
      }
      assert.ok(!existsSync(join(unpacked, 'node_modules', 'vite')), 'build tools stay out of the package');

      // The packaged files, extracted (asar + unpacked), run as the app: serve demo:hello with only production dependencies.
      const extracted = join(out, 'extracted');
      asar.extractAll(archive, extracted);
      const userData = mkdtempSync(join(tmpdir(), 'poolscope-dist-user-'));
      const child = spawn(
        standIn.executable,
        [join(extracted, packagedJson.main), 'demo:hello', '--addr', '127.0.0.1:0'],
        {
          cwd: tmpdir(),
          env: {
            ...process.env,
            POOLSCOPE_USER_DATA: userData,
            POOLSCOPE_PREBUILT_GUESTS: '1',
            POOLSCOPE_CACHE_DIR: join(out, 'cache'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const output = watchOutput(child);
      try {
        const url = await output.capture(/^Serving HTTP on (http:\/\/\S+)$/m);
        const response = await fetch(url);
        assert.equal(`${response.status} ${(await response.text()).trim()}`, '200 Hello, WASI!', output.text());
      } finally {
        child.kill('SIGTERM');
        assert.equal((await output.closed).code, 0, output.text());
        rmSync(userData, { recursive: true, force: true });
      }
    } finally {
      standIn.remove();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
