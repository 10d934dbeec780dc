/** The `poolscope serve` command line, run as a real child process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensureGuestsBuilt, zooGuestPath } from '../../assets/guests/build.ts';
import { cliRunsStoppedAfterTests, runCli } from './support/cli.ts';
import { send, sendSequential } from './support/http-client.ts';
import type { PoolEvent } from '../../protocol/index.ts';

test('serve demo:counter --max-instance-reuse-count 3 answers count=1,2,3,1,2,3', async () => {
  const run = runCli([
    'serve',
    'demo:counter',
    '--max-instance-reuse-count',
    '3',
    '--idle-instance-timeout',
    '60s',
    '--max-instances', // the next request waits for this instance rather than racing its return
    '1',
    '--addr',
    '127.0.0.1:0',
  ]);
  const url = await run.serving;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const bodies = (await sendSequential(url, 6)).map((r) => r.body);
  assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3', 'count=1', 'count=2', 'count=3']);
  run.child.kill('SIGINT');
  const { code } = await run.exited;
  assert.equal(code, 0);
});

test('SIGINT lets an in-flight request finish, then exits 0', async () => {
  await ensureGuestsBuilt();
  // The guest's request waits on an upstream that answers only once the CLI has taken the
  // signal: the shutdown has to wait for it, whatever the machine's speed.
  let answerUpstream!: () => void;
  const signalled = new Promise<void>((resolve) => (answerUpstream = resolve));
  let upstreamCalled!: () => void;
  const called = new Promise<void>((resolve) => (upstreamCalled = resolve));
  const upstream = createServer((_req, res) => {
    upstreamCalled();
    void signalled.then(() => res.end('answered after the signal'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  try {
    const run = runCli(['serve', zooGuestPath('zoo-js-fetch'), '--allow-http', '--addr', '127.0.0.1:0']);
    const url = await run.serving;
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    const inFlight = send(new URL(`/proxy?url=${encodeURIComponent(target)}`, url).href);
    await called;
    run.child.kill('SIGINT');
    await run.match(/^Waiting up to \d+ ms for in-flight requests to finish/m, { stream: 'stderr' });
    answerUpstream();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.match(response.body, /answered after the signal/);
    const { code, stderr } = await run.exited;
    assert.equal(code, 0, stderr);
  } finally {
    upstream.closeAllConnections();
    upstream.close();
  }
});

test('--events writes every lifecycle event as JSON lines', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'poolscope-events-')), 'events.jsonl');
  const run = runCli(['serve', 'demo:hello', '--addr', '127.0.0.1:0', '--events', file]);
  const url = await run.serving;
  await send(url);
  run.child.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
  const events = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PoolEvent);
  const types = events.map((e) => e.type);
  for (const type of [
    'request.received',
    'request.dispatched',
    'worker.spawned',
    'worker.instantiated',
    'request.accepted',
    'request.responded',
    'worker.exit',
  ]) {
    assert.ok(types.includes(type as PoolEvent['type']), `missing ${type}`);
  }
  assert.ok(events.every((e) => typeof e.t === 'number' && typeof e.seq === 'number'));
});

/** Every CLI the tests below start: one a failed assertion left running (or spinning) is killed at the end. */
const cli = cliRunsStoppedAfterTests();

/** `work`, or a failure once `ms` are out: a hang guard, not a duration assertion. */
async function withinOrFail<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms (a hang guard)`)), ms);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

test('a reader that goes away from stdout and stderr (`| head -1`) costs nothing: the server keeps answering and exits 0 on SIGTERM', async () => {
  // demo:print writes to both streams on every request, and --events - writes every event to stdout.
  const run = cli(['serve', 'demo:print', '--events', '-', '--addr', '127.0.0.1:0']);
  const url = await run.serving;
  // Our ends of both pipes close: every later write of the CLI's fails with EPIPE.
  run.child.stdout?.destroy();
  run.child.stderr?.destroy();
  // Before, each failed write was an uncaught error, reported to the broken stderr, failing again:
  // a loop at a full core that answered no more requests and never got through the stop.
  const answers = await withinOrFail(60_000, 'three answers', sendSequential(url, 3));
  assert.deepEqual(
    answers.map((answer) => answer.status),
    [200, 200, 200],
  );
  run.child.kill('SIGTERM');
  const { code, signal } = await withinOrFail(60_000, 'the exit after SIGTERM', run.exited);
  assert.deepEqual({ code, signal }, { code: 0, signal: null });
});

test('a one-shot command whose stdout reader went away ends as a SIGPIPE would (141), not with success', async () => {
  const target = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    const run = cli(['load', url, '-n', '20', '-c', '2', '--json', '--no-progress']);
    run.child.stdout?.destroy(); // before the summary is written
    const { code } = await withinOrFail(60_000, 'the load command ending', run.exited);
    assert.equal(code, 141);
  } finally {
    target.close();
  }
});

test('--events names a file that cannot be written: exit 1 with the reason, before serving', async () => {
  const run = runCli(['serve', 'demo:hello', '--events', '/no-such-dir/events.jsonl', '--addr', '127.0.0.1:0']);
  const { code, stderr } = await run.exited;
  assert.equal(code, 1);
  assert.match(stderr, /^error: --events: ENOENT: no such file or directory, open '\/no-such-dir\/events.jsonl'$/m);
  assert.doesNotMatch(stderr, /Serving HTTP/);
});

test('--events names a FIFO that nothing reads: exit 1 with the reason, instead of waiting for a reader', async () => {
  const fifo = join(await mkdtemp(join(tmpdir(), 'poolscope-cli-fifo-')), 'events.fifo');
  execFileSync('mkfifo', [fifo]);
  const run = cli(['serve', 'demo:hello', '--events', fifo, '--addr', '127.0.0.1:0']);
  const { code, stderr } = await withinOrFail(60_000, 'the exit', run.exited);
  assert.equal(code, 1);
  assert.match(stderr, /^error: --events: .*events\.fifo is a FIFO that nothing reads yet; start its reader first$/m);
  assert.doesNotMatch(stderr, /Serving HTTP/);
});

test('a second serve on the same address fails with the OS error and how to take a free port', async () => {
  const first = runCli(['serve', 'demo:hello', '--addr', '127.0.0.1:0']);
  const url = new URL(await first.serving);
  const second = await runCli(['serve', 'demo:hello', '--addr', `127.0.0.1:${url.port}`]).exited;
  assert.equal(second.code, 1);
  assert.match(
    second.stderr,
    /error: .*EADDRINUSE.*: pass --addr 127\.0\.0\.1:0 to take a free port \(through npm start: `npm start -- --addr 127\.0\.0\.1:0`\)$/m,
  );
  first.child.kill('SIGINT');
  await first.exited;
});
