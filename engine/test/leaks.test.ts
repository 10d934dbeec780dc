/** `poolscope leaks`: differential replay of reused answers on fresh instances, by exit code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:http';
import { runCli, type CliRun } from './support/cli.ts';
import { send } from './support/http-client.ts';

const P3_HELLO = fileURLToPath(
  new URL('../../../shared/fixtures/wasmtime-test-programs/p3-cli-serve-hello-world.wasm', import.meta.url),
);

test('demo:counter leaks from its second request on: exit 1, one finding per reused answer', async () => {
  const { code, stdout } = await runCli(['leaks', 'demo:counter', '--requests', '4']).exited;
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    /leak: request 2 \(GET \/\), instance 0, reuse #2\n {2}body: "count=2" on the reused instance, "count=1" on a fresh one/,
  );
  assert.match(stdout, /leak: request 4 .*reuse #4/);
  assert.doesNotMatch(stdout, /leak: request 1 /);
  assert.match(stdout, /3 leaks: 3 reused answers compared/);
});

for (const [name, component] of [
  ['demo:hello', 'demo:hello'],
  ['the p3 hello fixture', P3_HELLO],
] as const) {
  test(`${name} comes out clean: exit 0`, async () => {
    const { code, stdout } = await runCli(['leaks', component, '--requests', '5']).exited;
    assert.equal(code, 0, stdout);
    assert.match(stdout, /no leaks: 4 reused answers compared/);
  });
}

test('demo:works-once fails on reuse where a fresh instance answers: exit 1, a finding of its own kind', async () => {
  const { code, stdout } = await runCli(['leaks', 'demo:works-once', '--requests', '3']).exited;
  assert.equal(code, 1, stdout);
  // Request 2 traps on the reused instance (which dies of it); request 3 lands on a new instance's first.
  assert.match(
    stdout,
    /^failed on reuse: request 2 \(GET \/\), instance 0, reuse #2\n {2}outcome: "failed \(trap\): [^"]*wasm trap: wasm `unreachable` instruction executed" on the reused instance, 200 on a fresh one$/m,
  );
  assert.doesNotMatch(stdout, /wasm trap: wasm trap/);
  assert.match(stdout, /^1 leak \(1 failed on reuse\): 1 reused answers compared/m);
});

test('demo:never-set fails on fresh instances too: no leak, and poolscope leaks exits 0 on every one of 10 runs', async () => {
  // Each run used to end in exit 13 (unsettled top-level await) about half the time: its close never settled.
  for (let run = 1; run <= 10; run++) {
    const { code, stdout, stderr } = await runCli(['leaks', 'demo:never-set', '--requests', '5']).exited;
    assert.equal(code, 0, `run ${run}: ${stdout}${stderr}`);
    assert.match(stdout, /^no leaks: 4 reused answers compared/m);
  }
});

test('bad input exits 2 with a precise message', async () => {
  const missing = await runCli(['leaks', '/nonexistent.wasm']).exited;
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /error: .*no such file/);
  const one = await runCli(['leaks', 'demo:counter', '--requests', '1']).exited;
  assert.equal(one.code, 2);
  assert.match(one.stderr, /--requests must be at least 2/);
});

/** `poolscope serve GUEST --leak-check all`, each instance kept for up to 10 requests. */
function serveCheckingAll(guest: string, ...more: string[]): CliRun {
  return runCli([
    'serve',
    guest,
    '--leak-check',
    'all',
    '--max-instance-reuse-count',
    '10',
    '--idle-instance-timeout',
    '60s',
    '--addr',
    '127.0.0.1:0',
    ...more,
  ]);
}

test('poolscope serve --leak-check all prints each finding while it serves', async () => {
  const run = serveCheckingAll('demo:counter');
  const url = await run.serving;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 3; i++) {
    await send(url, { agent });
    // Replays are bounded (2 at once): spacing the requests lets every one be checked.
    await run.until(`${i} findings`, (stderr) => (stderr.match(/^leak: /gm) ?? []).length >= i, { stream: 'stderr' });
  }
  agent.destroy();
  run.child.kill('SIGTERM');
  const { code, stderr } = await run.exited;
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    /^leak: request 1 \(GET \/\), instance 0, reuse #2\n {2}body: "count=2" on the reused instance, "count=1" on a fresh one$/m,
  );
  assert.match(stderr, /^leak: request 2 .*reuse #3$/m);
});

test('poolscope serve --leak-check all reports a reused instance that fails where a fresh one answers', async () => {
  const run = serveCheckingAll('demo:works-once', '--events', '-');
  try {
    const url = await run.serving;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(url, { agent });
    const second = await send(url, { agent });
    agent.destroy();
    assert.deepEqual([first.status, second.status], [200, 500]);
    // The detector's word on request 1, either way: a verdict, or a skip (reported within a second).
    await run.match(/"type":"leak\.(checked|skipped)".*\n/, { stream: 'stdout' });
    const verdicts = run
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"type":"leak.'))
      .map((line) => JSON.parse(line) as { type: string; verdict?: string });
    assert.deepEqual(
      verdicts.map((event) => [event.type, event.verdict]),
      [['leak.checked', 'failed-on-reuse']],
    );
  } finally {
    run.child.kill('SIGTERM'); // a failed assertion must not leave the server running
  }
  const { code, stderr } = await run.exited;
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    /^failed on reuse: request 1 \(GET \/\), instance 0, reuse #2\n {2}outcome: "failed \(trap\): .*" on the reused instance, 200 on a fresh one$/m,
  );
});

test('a bad --leak-check value is refused by name', async () => {
  const { code, stderr } = await runCli(['serve', 'demo:counter', '--leak-check', 'sometimes']).exited;
  assert.equal(code, 1);
  assert.match(stderr, /'sometimes' is not a leak-check mode: use off, all, or a fraction/);
});

test('--leak-replay-queue and --leak-replay-rate are checked against their bounds, as usage errors', async () => {
  const { code, stderr } = await runCli(['serve', 'demo:counter', '--leak-check', 'all', '--leak-replay-queue', '1001'])
    .exited;
  assert.equal(code, 1);
  assert.match(stderr, /max queued replays must be at most 1000/);
  const notANumber = await runCli(['serve', 'demo:counter', '--leak-replay-queue', 'lots']).exited;
  assert.equal(notANumber.code, 1);
  assert.match(notANumber.stderr, /'lots' is not a whole number/);
  // A usage error, not an internal one (it used to exit 70, "uncaught exception").
  const zeroRate = await runCli(['serve', 'demo:counter', '--leak-replay-rate', '0']).exited;
  assert.equal(zeroRate.code, 1);
  assert.match(zeroRate.stderr, /^error: max replays per second must be greater than 0/m);
});
