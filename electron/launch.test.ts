/**
 * `npm start` (electron/launch.ts) where Electron's binary is missing: one sentence saying so, then
 * web mode — `poolscope serve demo:counter --max-instance-reuse-count 128 --ui` — which prints
 * `Dashboard: <url>`; both addresses answer; SIGTERM stops everything with exit code 0.
 * Runs for real here (the binary is missing). Where it is installed, ELECTRON_OVERRIDE_DIST_PATH
 * (the electron package's own override) points at an empty folder to make it missing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { locateElectronBinary } from './electron-binary.ts';
import { webModeArgs, webModeNotice } from './launch.ts';

const ROOT = join(import.meta.dirname, '..');
const LAUNCH = join(import.meta.dirname, 'launch.ts');

describe('npm start without the Electron binary', { timeout: 120_000 }, () => {
  it('says why in one sentence and serves the dashboard in web mode', async (t) => {
    const env: NodeJS.ProcessEnv = { ...process.env, POOLSCOPE_SKIP_UI_BUILD: '1' };
    let emptyDist: string | null = null;
    if (locateElectronBinary().found) {
      emptyDist = mkdtempSync(join(tmpdir(), 'poolscope-no-electron-'));
      env.ELECTRON_OVERRIDE_DIST_PATH = emptyDist;
      t.diagnostic('Electron is installed here: ELECTRON_OVERRIDE_DIST_PATH points at an empty folder to hide it');
    }
    const child = spawn(process.execPath, [LAUNCH, '--addr', '127.0.0.1:0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const dashboard = await waitForLine(() => stderr, /^Dashboard: (http:\/\/\S+)$/m, exited);
      const serving = /^Serving HTTP on (http:\/\/\S+)$/m.exec(stderr)?.[1];
      assert.ok(serving, stderr);

      const notice = stderr.split('\n').filter((line) => line.startsWith("Electron's binary is not installed"));
      assert.equal(notice.length, 1, stderr);
      const sentence = notice[0]!;
      t.diagnostic(sentence);
      assert.match(sentence, /^Electron's binary is not installed \(.+\), so Poolscope opens in web mode instead: .+\.$/);
      assert.doesNotMatch(sentence.slice(0, -1), /[.!?]\s+[A-Z]/, 'one sentence');
      const located = locateElectronBinary(import.meta.url, env);
      assert.equal(located.found, false);
      if (!located.found) assert.equal(sentence, webModeNotice(located.reason));

      // The served component is the counter with reuse: one instance answers every request.
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
      child.kill('SIGTERM');
      const code = await exited;
      if (emptyDist) rmSync(emptyDist, { recursive: true, force: true });
      assert.equal(code, 0, `launch.ts exits cleanly after SIGTERM:\n${stderr}`);
    }
  });

  it('passes the component and flags through to `poolscope serve`', () => {
    const [, command, component, ...flags] = webModeArgs(['--addr', '127.0.0.1:0', '--idle-instance-timeout', '60s']);
    assert.equal(command, 'serve');
    assert.equal(component, 'demo:counter');
    assert.deepEqual(flags, ['--max-instance-reuse-count', '128', '--ui', '--addr', '127.0.0.1:0', '--idle-instance-timeout', '60s']);
    assert.equal(webModeArgs(['demo:sleep'])[2], 'demo:sleep');
    assert.equal(webModeArgs(['guests/x.wasm'])[2], join(process.cwd(), 'guests', 'x.wasm'));
  });
});

async function waitForLine(read: () => string, pattern: RegExp, exited: Promise<number | null>, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match[1]!;
    if (gone) throw new Error(`launch.ts exited before printing ${pattern}:\n${read()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
