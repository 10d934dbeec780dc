/**
 * The desktop app's main process as Electron runs it: the bundle electron/build/main/main.mjs
 * (electron/bundle-main.ts), started by a stand-in for Electron's binary (test-support/stand-in-electron.ts:
 * plain Node, the fake `electron` module, type stripping OFF). It must load the demo, start its
 * executor threads and its instrumenting thread from their bundled files, and answer over HTTP —
 * so the bundle, not Electron's embedded Node, is what makes the TypeScript runnable.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ensureMainProcessBuilt,
  MAIN_BUNDLE,
  MAIN_BUNDLE_DIR,
  THREAD_ENTRY_NAMES,
  THREADS_BUNDLE_DIR,
} from './bundle-main.ts';
import { makeStandInElectron } from './test-support/stand-in-electron.ts';
import { watchOutput } from '../engine/test/support/child-output.ts';

const ROOT = join(import.meta.dirname, '..');
const ELECTRON_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
).version;

describe('the bundled main process', { timeout: 180_000 }, () => {
  it('serves demo:hello under plain Node with type stripping off, its threads started from the bundle', async (t) => {
    // npm test builds it first (npm run build); only a missing or stale bundle is rebuilt here.
    await ensureMainProcessBuilt((line) => t.diagnostic(line));
    const standIn = makeStandInElectron(ELECTRON_VERSION);
    const userData = mkdtempSync(join(tmpdir(), 'poolscope-bundle-'));
    // An empty cache: the component is transpiled and instrumented afresh (the instrumenting thread runs).
    const cache = mkdtempSync(join(tmpdir(), 'poolscope-bundle-cache-'));
    const child = spawn(standIn.executable, [MAIN_BUNDLE, 'demo:hello', '--addr', '127.0.0.1:0'], {
      cwd: tmpdir(),
      env: { ...process.env, POOLSCOPE_USER_DATA: userData, POOLSCOPE_CACHE_DIR: cache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = watchOutput(child);
    try {
      const url = await output.capture(/^Serving HTTP on (http:\/\/\S+)$/m);
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await fetch(url);
        answers.push(`${response.status} ${(await response.text()).trim()}`);
      }
      assert.deepEqual(answers, Array(3).fill('200 Hello, WASI!'), output.text());
      assert.ok(
        readdirSync(join(cache, 'transpiled')).some((entry) =>
          readdirSync(join(cache, 'transpiled', entry)).some((f) => f.endsWith('.interruptible.wasm')),
        ),
        'instrumented on its thread',
      );
      assert.doesNotMatch(output.text(), /ERR_UNKNOWN_FILE_EXTENSION|\.ts\b.*(?:cannot|unknown)/i);
    } finally {
      child.kill('SIGTERM');
      const { code } = await output.closed;
      standIn.remove();
      rmSync(userData, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
      assert.equal(code, 0, `the app quits cleanly on SIGTERM:\n${output.text()}`);
    }
  });

  it('has a bundled entry for every thread the engine starts, sharing no chunk with the main process', async (t) => {
    await ensureMainProcessBuilt((line) => t.diagnostic(line));
    // Every `threadEntry(new URL('…-thread.ts', …))` in the engine names a file the thread bundle must have.
    const started = new Set<string>();
    for (const file of listSources(join(ROOT, 'engine'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/threadEntry\(new URL\('([^']+)'/g))
        started.add(basename(match[1]!, '.ts'));
    }
    assert.deepEqual([...started].sort(), [...THREAD_ENTRY_NAMES].sort());
    for (const name of started)
      assert.ok(existsSync(join(THREADS_BUNDLE_DIR, `${name}.mjs`)), `${name}.mjs is in the thread bundle`);
    // Only the thread bundle is unpacked beside the asar: the main process's code must not live there.
    const threadFiles = readdirSync(THREADS_BUNDLE_DIR);
    for (const file of readdirSync(MAIN_BUNDLE_DIR).filter((f) => f.endsWith('.mjs')))
      assert.ok(!threadFiles.includes(file), `${file} is only in the main bundle`);
    for (const dir of [MAIN_BUNDLE_DIR, THREADS_BUNDLE_DIR])
      assert.deepEqual(
        readdirSync(dir).filter((file) => file.endsWith('.ts')),
        [],
        `no TypeScript in ${dir}`,
      );
  });

  it('maps stack traces from the bundle to the TypeScript sources (a thread here; the main process has the same bootstrap)', async (t) => {
    await ensureMainProcessBuilt((line) => t.diagnostic(line));
    // load-thread.mjs is a bootstrap that turns source maps on, then loads its bundle. Given no
    // options it fails inside engine/loadgen/: the trace must name that source, not a bundle file.
    const probe = spawn(
      process.execPath,
      [
        '--no-experimental-strip-types',
        '--input-type=module',
        '-e',
        `
      import { Worker } from 'node:worker_threads';
      const worker = new Worker(${JSON.stringify(join(THREADS_BUNDLE_DIR, 'load-thread.mjs'))}, { workerData: { options: null }, execArgv: [], stdout: true, stderr: true });
      worker.on('error', (error) => { console.log(String(error.stack)); process.exit(0); });
      worker.on('exit', () => process.exit(0));
    `,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = watchOutput(probe);
    await output.closed;
    // load-thread reads its options from workerData: given none, it fails, and the trace names the sources.
    assert.match(output.text(), /engine\/loadgen\/[\w-]+\.ts:\d+/, output.text());
  });
});

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}
