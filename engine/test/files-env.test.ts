/**
 * `--dir`, `--env`, `-S inherit-env`, `-H` and `--shutdown-addr` through the real CLI, with real
 * guests: demo:files (reads and writes files in its preopen) and demo:env (wasmtime's echo_env).
 */
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listenForShutdown } from '../cli/serve-command.ts';
import { cliRunsStoppedAfterTests, type CliRun } from './support/cli.ts';
import { sendRawPath } from './support/http-client.ts';

const P3_HELLO = fileURLToPath(
  new URL('../../../shared/fixtures/wasmtime-test-programs/p3-cli-serve-hello-world.wasm', import.meta.url),
);

const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'poolscope-dir-')));

/** Every CLI these tests start: one a failed assertion left running is killed at the end. */
const cli = cliRunsStoppedAfterTests();
after(() => rmSync(scratch, { recursive: true, force: true }));

async function stop(run: CliRun): Promise<void> {
  run.child.kill('SIGINT');
  assert.equal((await run.exited).code, 0);
}

/** demo:files with `root` preopened as /data, each instance serving up to `reuse` requests. */
function serveFiles(root: string, reuse: number): CliRun {
  return cli([
    'serve',
    'demo:files',
    '--addr',
    '127.0.0.1:0',
    '--dir',
    `${root}::/data`,
    '--max-instance-reuse-count',
    `${reuse}`,
  ]);
}

/** The status and body of a GET of `rawPath`, to compare as one. */
async function statusAndBody(url: string, rawPath: string): Promise<[number, string]> {
  const answer = await sendRawPath(url, rawPath);
  return [answer.status, answer.body];
}

/** root/ (to preopen) with a file, a subdirectory and links out; outside/ beside it with a secret. */
let layouts = 0;
function layout(): { root: string; outside: string } {
  const base = path.join(scratch, `layout-${layouts++}`);
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(path.join(root, 'hello.txt'), 'hello from the host\n');
  writeFileSync(path.join(outside, 'secret'), 'SECRET\n');
  symlinkSync('../outside', path.join(root, 'link-out')); // a relative link leading out
  symlinkSync('/etc/passwd', path.join(root, 'abs-link')); // an absolute one
  symlinkSync('sub', path.join(root, 'link-in')); // one that stays inside
  return { root, outside };
}

test('--dir: demo:files lists, reads and writes its preopen; the preopen is announced', async () => {
  const { root } = layout();
  const run = serveFiles(root, 4);
  const url = await run.serving;
  assert.match(run.stderr(), new RegExp(`^preopened ${root} as /data \\(read-write\\)$`, 'm'));

  const listing = await sendRawPath(url, '/');
  assert.equal(listing.status, 200);
  assert.deepEqual(listing.body.trim().split('\n').sort(), ['abs-link', 'hello.txt', 'link-in', 'link-out', 'sub']);
  assert.deepEqual(await statusAndBody(url, '/hello.txt'), [200, 'hello from the host\n']);

  const put = await sendRawPath(url, '/sub/new.txt', { method: 'PUT', body: 'written by the guest' });
  assert.deepEqual([put.status, put.body], [201, 'stored\n']);
  assert.equal(readFileSync(path.join(root, 'sub', 'new.txt'), 'utf8'), 'written by the guest');
  // Read back through a link that stays inside; overwrite (create|truncate).
  assert.equal((await sendRawPath(url, '/link-in/new.txt')).body, 'written by the guest');
  await sendRawPath(url, '/sub/new.txt', { method: 'PUT', body: 'short' });
  assert.equal(readFileSync(path.join(root, 'sub', 'new.txt'), 'utf8'), 'short');

  assert.deepEqual(await statusAndBody(url, '/missing'), [404, 'no-entry\n']);
  assert.deepEqual(await statusAndBody(url, '/sub'), [400, 'is-directory\n']);
  await stop(run);
});

test('--dir: no path leaves the preopen (.., absolute paths, links leading out): not-permitted, nothing outside touched', async () => {
  const { root, outside } = layout();
  const run = serveFiles(root, 16);
  const url = await run.serving;
  for (const hostile of [
    '/../outside/secret',
    '/sub/../../outside/secret',
    '//etc/passwd',
    `/${outside}/secret`,
    '/link-out/secret',
    '/abs-link',
    '/..',
  ]) {
    const answer = await sendRawPath(url, hostile);
    assert.deepEqual([answer.status, answer.body], [403, 'not-permitted\n'], `GET ${hostile}`);
  }
  for (const hostile of ['/../outside/evil', '//tmp/poolscope-evil', '/link-out/evil', '/link-out/secret']) {
    const answer = await sendRawPath(url, hostile, { method: 'PUT', body: 'pwned' });
    assert.deepEqual([answer.status, answer.body], [403, 'not-permitted\n'], `PUT ${hostile}`);
  }
  assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'SECRET\n');
  assert.equal(existsSync(path.join(outside, 'evil')), false);
  assert.equal(existsSync('/tmp/poolscope-evil'), false);
  await stop(run);
});

test('--dir is opened once at start: replacing HOST by a link afterwards does not move what new instances see', async () => {
  const { root, outside } = layout();
  // One request per instance (the default for p2), so each request is a new instance.
  const run = serveFiles(root, 1);
  const url = await run.serving;
  assert.equal((await sendRawPath(url, '/hello.txt')).body, 'hello from the host\n');
  renameSync(root, `${root}-moved`);
  symlinkSync(outside, root);
  assert.deepEqual(await statusAndBody(url, '/hello.txt'), [200, 'hello from the host\n']);
  assert.deepEqual(await statusAndBody(url, '/secret'), [404, 'no-entry\n']);
  await stop(run);
});

test('without --dir nothing is preopened: the guest finds no directory, and nothing is announced', async () => {
  const run = cli(['serve', 'demo:files', '--addr', '127.0.0.1:0']);
  const url = await run.serving;
  assert.deepEqual(await statusAndBody(url, '/hello.txt'), [500, 'no preopened directory\n']);
  assert.doesNotMatch(run.stderr(), /preopened/);
  await stop(run);
});

test('--dir that is not a directory fails at once, in one line', async () => {
  const missing = await cli(['serve', 'demo:files', '--addr', '127.0.0.1:0', '--dir', path.join(scratch, 'nope')])
    .exited;
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: --dir ${path.join(scratch, 'nope')}: no such directory\n`);
  const file = path.join(scratch, 'a-file');
  writeFileSync(file, 'x');
  const notDir = await cli(['serve', 'demo:files', '--addr', '127.0.0.1:0', '--dir', `${file}::/x`]).exited;
  assert.equal(notDir.code, 1);
  assert.equal(notDir.stderr, `error: --dir ${file}: not a directory\n`);
});

test('--dir for a WASIp3 guest: Rust guests import wasi:filesystem@0.2, which the p2 host serves', async () => {
  const { root } = layout();
  const run = cli(['serve', P3_HELLO, '--addr', '127.0.0.1:0', '--dir', root]);
  const url = await run.serving;
  assert.match(run.stderr(), new RegExp(`^preopened ${root} as ${root} \\(read-write\\)$`, 'm'));
  assert.equal((await sendRawPath(url, '/')).body, 'Hello, WASI!');
  await stop(run);
});

/** `bytes` with a custom section appended (valid at the end of a component) holding `text`. */
function withCustomSection(bytes: Uint8Array, name: string, text: string): Uint8Array {
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n !== 0) byte |= 0x80;
      out.push(byte);
    } while (n !== 0);
    return out;
  };
  const payload = [...leb(name.length), ...Buffer.from(name), ...Buffer.from(text)];
  return Buffer.concat([bytes, Buffer.from([0, ...leb(payload.length), ...payload])]);
}

test('--dir for a WASIp3 guest importing wasi:filesystem@0.3 is refused, saying why', async () => {
  const { root } = layout();
  // The hello guest, marked as importing wasi:filesystem@0.3 (the check reads the component's bytes).
  const marked = path.join(scratch, 'p3-fs03.wasm');
  writeFileSync(marked, withCustomSection(readFileSync(P3_HELLO), 'poolscope-test', 'wasi:filesystem/types@0.3.0'));
  const refused = await cli(['serve', marked, '--addr', '127.0.0.1:0', '--dir', root]).exited;
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^error: .*p3-fs03\.wasm imports wasi:filesystem@0\.3, which Poolscope does not implement, so it cannot be given preopened directories \(--dir works for guests importing wasi:filesystem@0\.2, .+\)\n$/,
  );
  assert.doesNotMatch(refused.stderr, /^preopened .* \(read-write\)$/m);
  // Without --dir it serves: nothing of the host's filesystem is exposed to it anyway.
  const run = cli(['serve', marked, '--addr', '127.0.0.1:0']);
  assert.equal((await sendRawPath(await run.serving, '/')).body, 'Hello, WASI!');
  await stop(run);
});

/** demo:env (wasmtime's echo_env: its `env` answer header holds the values of the variables the request's `env` header names), with `flags`. */
function serveEnv(flags: string[]): CliRun {
  return cli(['serve', 'demo:env', '--addr', '127.0.0.1:0', ...flags]);
}

test('--env NAME inherits the host value, or leaves NAME unset (wasmtime p2_cli_serve_echo_env)', async () => {
  delete process.env.BAR;
  process.env.POOLSCOPE_TEST_INHERITED = 'from the host';
  try {
    const run = serveEnv([
      '--env=FOO=bar',
      '--env=BAR',
      '--env',
      'POOLSCOPE_TEST_INHERITED',
      '--max-instance-reuse-count',
      '8',
    ]);
    const url = await run.serving;
    assert.equal((await sendRawPath(url, '/', { headers: { env: 'FOO' } })).headers.env, 'bar');
    assert.equal((await sendRawPath(url, '/', { headers: { env: 'BAR' } })).headers.env, undefined);
    assert.equal(
      (await sendRawPath(url, '/', { headers: { env: 'POOLSCOPE_TEST_INHERITED' } })).headers.env,
      'from the host',
    );
    // Only what was passed: the rest of Poolscope's environment stays out.
    assert.equal((await sendRawPath(url, '/', { headers: { env: 'PATH' } })).headers.env, undefined);
    assert.equal((await sendRawPath(url, '/', { headers: { env: 'INSTANCE_ID' } })).headers.env, '0');
    await stop(run);

    const inherit = serveEnv(['-S', 'inherit-env', '--env=FOO=bar']);
    const inheritUrl = await inherit.serving;
    const all = await sendRawPath(inheritUrl, '/', { headers: { env: ['POOLSCOPE_TEST_INHERITED', 'FOO'] } });
    assert.equal(all.headers.env, 'from the host, bar');
    await stop(inherit);
  } finally {
    delete process.env.POOLSCOPE_TEST_INHERITED;
  }
});

test("-H replaces the client's headers of that name before the guest sees them (wasmtime p2_cli_serve_header_replaces_request_header)", async () => {
  const headerFile = path.join(scratch, 'headers');
  writeFileSync(headerFile, 'env: BAR\n\n');
  const run = serveEnv(['--env=FOO=bar', '--env=BAR=baz', '--header=env: FOO', `-H`, `@${headerFile}`]);
  const url = await run.serving;
  const answer = await sendRawPath(url, '/', { headers: { env: 'NOTHING' } });
  assert.equal(answer.headers.env, 'bar, baz');
  await stop(run);
});

test('--shutdown-addr: an error of its listener once listening is logged, not thrown', async () => {
  const lines: string[] = [];
  let stopped = false;
  const server = await listenForShutdown(
    { host: '127.0.0.1', port: 0 },
    () => (stopped = true),
    (line) => lines.push(line),
  );
  try {
    server.emit('error', new Error('accept failed: EMFILE'));
    assert.deepEqual(lines, ['error: --shutdown-addr: accept failed: EMFILE']);
    assert.equal(stopped, false);
  } finally {
    server.close();
  }
});

test('--shutdown-addr: a connection to it stops the server gracefully', async () => {
  const run = cli(['serve', 'demo:hello', '--addr', '127.0.0.1:0', '--shutdown-addr', '127.0.0.1:0']);
  await run.serving;
  const match = /^Listening for shutdown on tcp:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(run.stderr());
  assert.ok(match, run.stderr());
  const socket = connect(Number(match[1]), '127.0.0.1');
  socket.on('error', () => {});
  const { code } = await run.exited;
  socket.destroy();
  assert.equal(code, 0);
});
