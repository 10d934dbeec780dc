/**
 * Fetching Electron's binary (electron-download.ts): the pure decisions, then the runner with real
 * processes — stand-in installers that succeed, fail, hang (ticks, abort, timeout), and the electron
 * package's own install.js against local mirrors that cannot serve it (a closed port, a 404), so it
 * never gets as far as extracting into node_modules/electron/dist.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateElectronBinary, type ElectronPackage, type MissingElectronBinary } from './electron-binary.ts';
import {
  condenseInstallerError,
  decideDownload,
  describeDuration,
  downloadingLine,
  installerDisplay,
  retryRemedy,
  runElectronInstaller,
  skipDownloadRequested,
  webModeNotice,
} from './electron-download.ts';

const ROOT = join(import.meta.dirname, '..');
const PKG: ElectronPackage = {
  dir: join(ROOT, 'node_modules', 'electron'),
  version: '45.4.1',
  installer: join(ROOT, 'node_modules', 'electron', 'install.js'),
};
const NOT_DOWNLOADED: MissingElectronBinary = {
  found: false,
  missing: 'download',
  reason: 'path.txt is missing',
  package: PKG,
};

describe('whether to download (decideDownload)', () => {
  it('downloads when the package is there, its binary is not, and nothing says to skip', () => {
    assert.deepEqual(decideDownload(NOT_DOWNLOADED, {}, ROOT), {
      action: 'download',
      installer: PKG.installer,
      version: '45.4.1',
    });
    assert.deepEqual(decideDownload(NOT_DOWNLOADED, { ELECTRON_SKIP_BINARY_DOWNLOAD: '' }, ROOT).action, 'download');
  });

  it('skips when ELECTRON_SKIP_BINARY_DOWNLOAD is set (any non-empty value, as electron has always read it), and says how to get it', () => {
    for (const value of ['1', 'true', 'yes']) {
      const decision = decideDownload(NOT_DOWNLOADED, { ELECTRON_SKIP_BINARY_DOWNLOAD: value }, ROOT);
      assert.deepEqual(decision, {
        action: 'skip',
        reason: `its download was skipped because ELECTRON_SKIP_BINARY_DOWNLOAD=${value} is set`,
        remedy: 'run `node node_modules/electron/install.js` and then `npm start` to get the desktop app',
      });
    }
    assert.equal(skipDownloadRequested({}), null);
    assert.equal(skipDownloadRequested({ ELECTRON_SKIP_BINARY_DOWNLOAD: '' }), null);
    assert.equal(skipDownloadRequested({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }), '1');
  });

  it('skips when the binary could not land where it is looked for, or there is nothing to run', () => {
    const override = decideDownload(
      {
        found: false,
        missing: 'override',
        reason: 'ELECTRON_OVERRIDE_DIST_PATH points at /x, which holds no electron',
        package: PKG,
      },
      {},
      ROOT,
    );
    assert.equal(override.action, 'skip');
    assert.match(override.action === 'skip' ? override.remedy : '', /ELECTRON_OVERRIDE_DIST_PATH/);
    const noPackage = decideDownload(
      { found: false, missing: 'package', reason: 'the electron package is not installed', package: null },
      {},
      ROOT,
    );
    assert.deepEqual(noPackage, {
      action: 'skip',
      reason: 'the electron package is not installed',
      remedy: 'run `npm ci` and then `npm start`',
    });
    assert.equal(decideDownload({ ...NOT_DOWNLOADED, package: { ...PKG, installer: null } }, {}, ROOT).action, 'skip');
  });

  it("finds the installer from the electron package's own bin", () => {
    const located = locateElectronBinary(import.meta.url, {
      ELECTRON_OVERRIDE_DIST_PATH: join(tmpdir(), 'poolscope-nowhere'),
    });
    assert.ok(!located.found && located.package);
    // Resolved as Node resolves the package (through a symlinked node_modules, to the real file).
    assert.equal(located.package.installer, realpathSync(join(ROOT, 'node_modules', 'electron', 'install.js')));
  });
});

describe('what the user reads', () => {
  it('shows the installer relative to where they are, quoted when it has spaces', () => {
    assert.equal(installerDisplay(PKG.installer!, ROOT), 'node_modules/electron/install.js');
    assert.equal(installerDisplay(PKG.installer!, '/elsewhere'), PKG.installer);
    assert.equal(
      installerDisplay('/my apps/p/node_modules/electron/install.js', '/my apps/p'),
      'node_modules/electron/install.js',
    );
    assert.equal(
      installerDisplay('/my apps/p/node_modules/electron/install.js', '/elsewhere'),
      '"/my apps/p/node_modules/electron/install.js"',
    );
    assert.equal(
      retryRemedy(PKG.installer!, ROOT),
      'run `node node_modules/electron/install.js` and then `npm start` to retry',
    );
  });

  it('says what is downloaded, how big, and with what', () => {
    assert.equal(
      downloadingLine('45.4.1', 'node_modules/electron/install.js'),
      "Electron's binary is missing: downloading Electron 45.4.1 (about 100 MB, once) with node_modules/electron/install.js…",
    );
  });

  it('builds one sentence: the reason, web mode, what to do', () => {
    const sentence = webModeNotice(
      'its download failed: fetch failed: connect ECONNREFUSED 127.0.0.1:9',
      retryRemedy(PKG.installer!, ROOT),
    );
    assert.equal(
      sentence,
      "Electron's binary is not installed (its download failed: fetch failed: connect ECONNREFUSED 127.0.0.1:9), so Poolscope opens in web mode instead: open the Dashboard URL below in your browser, or run `node node_modules/electron/install.js` and then `npm start` to retry.",
    );
    assert.doesNotMatch(sentence.slice(0, -1), /[.!?]\s+[A-Z]/);
  });

  it('describes durations', () => {
    assert.equal(describeDuration(10 * 60_000), '10 min');
    assert.equal(describeDuration(1500), '2 s');
    assert.equal(describeDuration(50), '50 ms');
  });
});

describe("condensing the installer's failure (condenseInstallerError)", () => {
  it("takes the message of install.js's printed stack", () => {
    const stack =
      'TypeError: fetch failed: connect ECONNREFUSED 127.0.0.1:41234\n    at node:internal/deps/undici/undici:15845:13\n    at async FetchDownloader.download (file:///x/FetchDownloader.js:40:30)\n';
    assert.equal(condenseInstallerError(stack), 'fetch failed: connect ECONNREFUSED 127.0.0.1:41234');
    assert.equal(
      condenseInstallerError(
        'HTTPError: Response code 404 (Not Found) for https://github.com/electron/electron/releases/download/v45.4.1/electron-v45.4.1-linux-x64.zip\n    at FetchDownloader.download (file:///x.js:1:1)',
      ),
      'Response code 404 (Not Found) for https://github.com/electron/electron/releases/download/v45.4.1/electron-v45.4.1-linux-x64.zip',
    );
    assert.equal(condenseInstallerError('Error [ERR_SOMETHING]: it broke\n'), 'it broke');
  });

  it("skips an uncaught throw's source line and caret, keeps one sentence, drops the final period", () => {
    const uncaught = [
      '/work/node_modules/electron/install.js:123',
      "      throw new Error('Electron builds are not available on platform: ' + platform);",
      '      ^',
      '',
      'Error: Electron builds are not available on platform: aix',
      '    at getPlatformPath (/work/node_modules/electron/install.js:123:13)',
      '',
      'Node.js v24.11.0',
    ].join('\n');
    assert.equal(condenseInstallerError(uncaught), 'Electron builds are not available on platform: aix');
    assert.equal(
      condenseInstallerError(
        'Error: Generated checksum for "x.zip" did not match expected checksum. More text here.\n',
      ),
      'Generated checksum for "x.zip" did not match expected checksum',
    );
  });

  it('falls back to the first plain line, and to null when there is nothing', () => {
    assert.equal(condenseInstallerError('\n\u001b[31msomething odd happened\u001b[0m\n'), 'something odd happened');
    assert.equal(condenseInstallerError(''), null);
    assert.equal(condenseInstallerError('\n   \nNode.js v24.11.0\n'), null);
    assert.equal(condenseInstallerError(`Error: ${'x'.repeat(300)}`)!.length, 240);
  });
});

describe('running the installer (runElectronInstaller)', { timeout: 60_000 }, () => {
  let dir: string;
  const script = (name: string, source: string): string => {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), 'poolscope-installer-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const HANG = 'setInterval(() => {}, 1 << 30);\n';

  it('prints the progress line, runs the installer, and says how long it took', async () => {
    const written: string[] = [];
    const result = await runElectronInstaller({
      installer: script('ok.cjs', 'process.exit(0);\n'),
      version: '45.4.1',
      cwd: dir,
      tty: false,
      write: (text) => written.push(text),
    });
    assert.equal(result.ok, true);
    assert.equal(written[0], `${downloadingLine('45.4.1', 'ok.cjs')}\n`);
    assert.match(written.at(-1)!, /^ {2}downloaded in \d+ s\n$/);
  });

  it("turns the installer's failure into the reason", async () => {
    const installer = script(
      'fails.cjs',
      "console.error('TypeError: fetch failed: getaddrinfo ENOTFOUND github.com\\n    at x (y.js:1:1)'); process.exit(1);\n",
    );
    const result = await runElectronInstaller({ installer, version: '45.4.1', tty: false, write: () => {} });
    assert.deepEqual(result, {
      ok: false,
      aborted: false,
      reason: 'its download failed: fetch failed: getaddrinfo ENOTFOUND github.com',
    });
    const silent = await runElectronInstaller({
      installer: script('silent.cjs', 'process.exit(3);\n'),
      version: '45.4.1',
      cwd: dir,
      tty: false,
      write: () => {},
    });
    assert.deepEqual(silent, {
      ok: false,
      aborted: false,
      reason: 'its download failed: silent.cjs exited with code 3',
    });
  });

  it('ticks while it runs (a line at a time off a TTY, in place on one), and stops the installer when aborted', async () => {
    for (const tty of [false, true]) {
      const controller = new AbortController();
      const written: string[] = [];
      let ticks = 0;
      const result = await runElectronInstaller({
        installer: script('hangs.cjs', HANG),
        version: '45.4.1',
        tty,
        tickMs: 5,
        signal: controller.signal,
        write: (text) => {
          written.push(text);
          if (/s(…|\n)$/.test(text) && !text.startsWith("Electron's") && ++ticks === 2) controller.abort();
        },
      });
      assert.deepEqual(result, { ok: false, aborted: true, reason: 'its download was interrupted' });
      const tick = written[1]!;
      if (tty) {
        assert.match(tick, /^\r {2}\d+ s…$/);
        assert.equal(written.at(-1), '\r\u001b[K', 'the tick line is cleared');
      } else {
        assert.match(tick, /^ {2}still downloading: \d+ s\n$/);
      }
    }
  });

  it('stops an installer that takes longer than the cap', async () => {
    const result = await runElectronInstaller({
      installer: script('slow.cjs', HANG),
      version: '45.4.1',
      timeoutMs: 100,
      tty: false,
      write: () => {},
    });
    assert.deepEqual(result, {
      ok: false,
      aborted: false,
      reason: 'its download did not finish within 100 ms, so it was stopped',
    });
  });

  describe("the electron package's own install.js, against mirrors that cannot serve it", () => {
    const located = locateElectronBinary(import.meta.url, {
      ELECTRON_OVERRIDE_DIST_PATH: join(tmpdir(), 'poolscope-nowhere'),
    });
    const installer = !located.found ? located.package?.installer : null;
    /** No electron settings of the caller's; the mirror and an empty cache of ours. An override at an
     *  empty folder makes install.js's "already installed?" check fail even where Electron is installed. */
    const env = (mirror: string, cache: string): NodeJS.ProcessEnv => {
      const base: NodeJS.ProcessEnv = { ...process.env };
      for (const key of Object.keys(base)) if (/electron/i.test(key) || key === 'NODE_USE_ENV_PROXY') delete base[key];
      return {
        ...base,
        ELECTRON_MIRROR: mirror,
        electron_config_cache: cache,
        ELECTRON_OVERRIDE_DIST_PATH: join(cache, 'no-dist'),
      };
    };

    it('a closed port: the reason is the connection error fetch keeps in its cause', {
      skip: !installer && 'no electron package',
    }, async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const cache = mkdtempSync(join(tmpdir(), 'poolscope-electron-cache-'));
      try {
        const result = await runElectronInstaller({
          installer: installer!,
          version: '45.4.1',
          env: env(`http://127.0.0.1:${port}/`, cache),
          tty: false,
          write: () => {},
        });
        assert.deepEqual(result, {
          ok: false,
          aborted: false,
          reason: `its download failed: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
        });
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    });

    it('a 404: the reason names the URL it asked for', { skip: !installer && 'no electron package' }, async () => {
      const asked: string[] = [];
      const server = createHttpServer((request, response) => {
        asked.push(request.url ?? '');
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const cache = mkdtempSync(join(tmpdir(), 'poolscope-electron-cache-'));
      try {
        const { version } = located.found ? located : located.package!;
        const result = await runElectronInstaller({
          installer: installer!,
          version,
          env: env(`http://127.0.0.1:${port}/`, cache),
          tty: false,
          write: () => {},
        });
        const file = `electron-v${version}-${process.platform}-${process.arch}.zip`;
        assert.deepEqual(asked, [`/v${version}/${file}`]);
        assert.deepEqual(result, {
          ok: false,
          aborted: false,
          reason: `its download failed: Response code 404 (Not Found) for http://127.0.0.1:${port}/v${version}/${file}`,
        });
      } finally {
        server.close();
        rmSync(cache, { recursive: true, force: true });
      }
    });
  });
});
