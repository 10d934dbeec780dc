/**
 * `npm start` (electron/launch.ts), for real, in each of its cases:
 *   - binary missing, download attempted and failing (a mirror on a closed local port): our progress
 *     line, then one sentence with the installer's reason and the retry command, then web mode —
 *     `poolscope serve demo:counter --max-instance-reuse-count 128 --ui` — whose addresses answer;
 *   - binary missing, ELECTRON_SKIP_BINARY_DOWNLOAD=1: no download, the sentence says it was skipped;
 *   - ELECTRON_OVERRIDE_DIST_PATH at an empty folder (how an installed Electron is hidden): no
 *     download (it could not land there), the sentence names the override;
 *   - a stand-in binary present: launch.ts runs it with the main-process entry and the flags; and
 *     the stand-in that runs the bundled main process on plain Node serves the counter demo.
 * SIGTERM stops web mode with exit code 0. Every child gets an environment without any ELECTRON_* /
 * npm_config_electron_* setting of ours (so a configured mirror cannot make a download succeed and
 * write into node_modules/electron/dist), plus the few the case needs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, it, type TestContext } from 'node:test';
import { locateElectronBinary } from './electron-binary.ts';
import { downloadingLine, installerDisplay, retryRemedy, webModeNotice } from './electron-download.ts';
import { MAIN_ENTRY, webModeArgs } from './launch.ts';
import { watchOutput, type ChildOutput } from '../engine/test/support/child-output.ts';
import { makeStandInElectron } from './test-support/stand-in-electron.ts';

const ROOT = join(import.meta.dirname, '..');
const LAUNCH = join(import.meta.dirname, 'launch.ts');
const NOTICE_START = "Electron's binary is not installed";
const installed = locateElectronBinary(import.meta.url, {});
const INSTALLED_SKIP =
  "Electron's binary is installed here, so it is not missing (hiding it with ELECTRON_OVERRIDE_DIST_PATH turns the download off)";

/** process.env without anything that steers Electron or its download, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env))
    if (/electron/i.test(key) || key === 'INIT_CWD' || key === 'NODE_USE_ENV_PROXY') delete env[key];
  return { ...env, POOLSCOPE_SKIP_UI_BUILD: '1', ...extra };
}

/** A local port nothing listens on (bound, noted, closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Launched {
  output: ChildOutput;
  /** The exit code, once the output is all in. */
  closed: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Every launch.ts still running: stopped after each test, so a failed assertion never leaves one serving. */
const running = new Set<Launched>();
afterEach(async () => {
  for (const run of running) {
    run.kill('SIGTERM');
    await run.closed;
  }
});

function launch(args: string[], env: NodeJS.ProcessEnv): Launched {
  const child = spawn(process.execPath, [LAUNCH, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchOutput(child);
  const run: Launched = {
    output,
    closed: output.closed.then(({ code }) => code),
    kill: (signal) => void child.kill(signal),
  };
  running.add(run);
  void run.closed.then(() => running.delete(run));
  return run;
}

/** The one fallback sentence: exactly one line, of the shape webModeNotice builds, one sentence. */
function theNotice(t: TestContext, stderr: string): string {
  const notices = stderr.split('\n').filter((line) => line.startsWith(NOTICE_START));
  assert.equal(notices.length, 1, stderr);
  const sentence = notices[0]!;
  t.diagnostic(sentence);
  assert.match(
    sentence,
    /^Electron's binary is not installed \(.+\), so Poolscope opens in web mode instead: open the Dashboard URL below in your browser, or .+\.$/,
  );
  assert.doesNotMatch(sentence.slice(0, -1), /[.!?]\s+[A-Z]/, 'one sentence');
  return sentence;
}

/** Web mode serves the counter with reuse (count=1, count=2) and the dashboard, then SIGTERM exits 0. */
async function checkWebModeThenStop(run: Launched): Promise<void> {
  try {
    const dashboard = await run.output.capture(/^Dashboard: (http:\/\/\S+)$/m, { stream: 'stderr' });
    const serving = /^Serving HTTP on (http:\/\/\S+)$/m.exec(run.output.stderr())?.[1];
    assert.ok(serving, run.output.stderr());
    const bodies: string[] = [];
    for (let i = 0; i < 2; i++) bodies.push((await (await fetch(serving)).text()).trim());
    assert.deepEqual(bodies, ['count=1', 'count=2']);
    const page = await fetch(dashboard);
    if (existsSync(join(ROOT, 'renderer', 'dist', 'index.html'))) {
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    } else {
      assert.equal(page.status, 503, 'not built: the server says how to build it');
    }
  } finally {
    run.kill('SIGTERM');
    assert.equal(await run.closed, 0, `launch.ts exits cleanly after SIGTERM:\n${run.output.stderr()}`);
  }
}

describe('npm start without the Electron binary', { timeout: 120_000 }, () => {
  it('tries the download, and when it fails says why and how to retry in one sentence, then serves in web mode', async (t) => {
    if (installed.found) return t.skip(INSTALLED_SKIP);
    const missing = locateElectronBinary(import.meta.url, {});
    assert.ok(!missing.found && missing.package?.installer, 'the electron package and its installer are installed');
    const distBefore = existsSync(join(missing.package.dir, 'dist'));
    const port = await closedPort();
    const cache = mkdtempSync(join(tmpdir(), 'poolscope-electron-cache-'));
    try {
      const run = launch(
        ['--addr', '127.0.0.1:0'],
        childEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: cache }),
      );
      // The installer as the user would type it from the project (node_modules/electron/install.js in a plain checkout).
      const progress = downloadingLine(missing.package.version, installerDisplay(missing.package.installer, ROOT));
      await run.output.match(/^Dashboard: /m, { stream: 'stderr' }).catch(() => {});
      const lines = run.output.stderr().split('\n');
      assert.ok(lines.includes(progress), `the progress line comes first:\n${run.output.stderr()}`);
      const sentence = theNotice(t, run.output.stderr());
      assert.equal(
        sentence,
        webModeNotice(
          `its download failed: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
          retryRemedy(missing.package.installer, ROOT),
        ),
      );
      assert.ok(
        sentence.endsWith(
          `run \`node ${installerDisplay(missing.package.installer, ROOT)}\` and then \`npm start\` to retry.`,
        ),
        sentence,
      );
      assert.ok(lines.indexOf(progress) < lines.indexOf(sentence), 'progress, then the sentence');
      await checkWebModeThenStop(run);
      assert.equal(
        existsSync(join(missing.package.dir, 'dist')),
        distBefore,
        'node_modules/electron/dist is as it was',
      );
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('with ELECTRON_SKIP_BINARY_DOWNLOAD=1, does not try, and says the download was skipped', async (t) => {
    if (installed.found) return t.skip(INSTALLED_SKIP);
    // Were a download attempted, it would fail against this mirror (and print the progress line).
    const run = launch(
      ['--addr', '127.0.0.1:0'],
      childEnv({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/` }),
    );
    await run.output.match(/^Dashboard: /m, { stream: 'stderr' }).catch(() => {});
    assert.doesNotMatch(run.output.stderr(), /downloading Electron/);
    const sentence = theNotice(t, run.output.stderr());
    assert.match(sentence, /\(its download was skipped because ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set\)/);
    assert.match(sentence, /run `node \S*install\.js` and then `npm start` to get the desktop app\.$/);
    await checkWebModeThenStop(run);
  });

  it('with ELECTRON_OVERRIDE_DIST_PATH at an empty folder, does not try (the download would not land there) and names the override', async (t) => {
    const emptyDist = mkdtempSync(join(tmpdir(), 'poolscope-no-electron-'));
    try {
      const run = launch(
        ['--addr', '127.0.0.1:0'],
        childEnv({
          ELECTRON_OVERRIDE_DIST_PATH: emptyDist,
          ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/`,
        }),
      );
      await run.output.match(/^Dashboard: /m, { stream: 'stderr' }).catch(() => {});
      assert.doesNotMatch(run.output.stderr(), /downloading Electron/);
      const sentence = theNotice(t, run.output.stderr());
      const located = locateElectronBinary(import.meta.url, { ELECTRON_OVERRIDE_DIST_PATH: emptyDist });
      assert.ok(!located.found && located.missing === 'override');
      assert.ok(sentence.startsWith(`${NOTICE_START} (${located.reason}), `), sentence);
      assert.match(sentence, /point ELECTRON_OVERRIDE_DIST_PATH at a folder holding Electron's binary/);
      await checkWebModeThenStop(run);
    } finally {
      rmSync(emptyDist, { recursive: true, force: true });
    }
  });

  it('passes the component and flags through to `poolscope serve`', () => {
    const [, command, component, ...flags] = webModeArgs(['--addr', '127.0.0.1:0', '--idle-instance-timeout', '60s']);
    assert.equal(command, 'serve');
    assert.equal(component, 'demo:counter');
    assert.deepEqual(flags, [
      '--max-instance-reuse-count',
      '128',
      '--idle-instance-timeout',
      '30s',
      '--ui',
      '--addr',
      '127.0.0.1:0',
      '--idle-instance-timeout',
      '60s',
    ]);
    assert.equal(webModeArgs(['demo:sleep'])[2], 'demo:sleep');
    assert.equal(webModeArgs(['guests/x.wasm'])[2], join(process.cwd(), 'guests', 'x.wasm'));
  });
});

describe('npm start with the Electron binary', { timeout: 180_000 }, () => {
  it('launches the app: runs the binary with the main-process entry and the flags, without downloading', {
    skip: process.platform === 'win32' && 'the stand-in binary is a shell script',
  }, async () => {
    const dist = mkdtempSync(join(tmpdir(), 'poolscope-stand-in-electron-'));
    try {
      // Where the package's path.txt says the executable sits inside a dist folder ('electron' on Linux).
      const pathTxt = join(ROOT, 'node_modules', 'electron', 'path.txt');
      const executable = join(dist, existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : 'electron');
      mkdirSync(dirname(executable), { recursive: true });
      writeFileSync(
        executable,
        '#!/bin/sh\nfor arg in "$@"; do printf "arg: %s\\n" "$arg"; done\nprintf "ELECTRON_RUN_AS_NODE: %s\\n" "${ELECTRON_RUN_AS_NODE-unset}"\nexit 0\n',
      );
      chmodSync(executable, 0o755);
      const args = ['demo:sleep', '--addr', '127.0.0.1:0', '--enable-logging'];
      const run = launch(
        args,
        childEnv({
          ELECTRON_OVERRIDE_DIST_PATH: dist,
          ELECTRON_RUN_AS_NODE: '1',
          ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/`,
        }),
      );
      assert.equal(await run.closed, 0, `launch.ts passes the binary's exit code on:\n${run.output.stderr()}`);
      const lines = run.output.stdout().split('\n');
      const argv = lines.filter((line) => line.startsWith('arg: ')).map((line) => line.slice('arg: '.length));
      assert.equal(argv[0], MAIN_ENTRY, `the bundled main process first:\n${run.output.stdout()}`);
      assert.ok(existsSync(argv[0]!), `${argv[0]} exists`);
      assert.deepEqual(argv.slice(1), args);
      assert.ok(
        lines.includes('ELECTRON_RUN_AS_NODE: unset'),
        'ELECTRON_RUN_AS_NODE is removed: it would make the binary a plain Node',
      );
      assert.doesNotMatch(run.output.stderr(), /downloading Electron/);
      assert.ok(!run.output.stderr().includes(NOTICE_START), run.output.stderr());
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  it('the app it launches starts on demo:counter with reuse: count=1, count=2 (the bundle, under a stand-in that runs it on plain Node)', {
    skip: process.platform === 'win32' && 'the stand-in binary is a shell script',
  }, async () => {
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
    ).version;
    const standIn = makeStandInElectron(version);
    const userData = mkdtempSync(join(tmpdir(), 'poolscope-launch-user-'));
    const run = launch(
      ['--addr', '127.0.0.1:0'],
      childEnv({ ELECTRON_OVERRIDE_DIST_PATH: standIn.dir, POOLSCOPE_USER_DATA: userData }),
    );
    try {
      const served = await run.output.capture(/^Serving HTTP on (http:\/\/\S+)$/m, { stream: 'stderr' });
      const bodies: string[] = [];
      for (let i = 0; i < 2; i++) bodies.push((await (await fetch(served)).text()).trim());
      assert.deepEqual(bodies, ['count=1', 'count=2']);
      assert.ok(!run.output.stderr().includes(NOTICE_START), run.output.stderr());
    } finally {
      run.kill('SIGTERM');
      assert.equal(await run.closed, 0, `the app quits cleanly on SIGTERM:\n${run.output.stderr()}`);
      standIn.remove();
      rmSync(userData, { recursive: true, force: true });
    }
  });
});
