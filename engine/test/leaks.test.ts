/** `poolscope leaks`: differential replay of reused answers on fresh instances, by exit code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:http';
import { runCli } from './support/cli.ts';
import { send } from './support/http-client.ts';

const P3_HELLO = fileURLToPath(new URL('../../../shared/fixtures/wasmtime-test-programs/p3-cli-serve-hello-world.wasm', import.meta.url));

test('demo:counter leaks from its second request on: exit 1, one finding per reused answer', async () => {
  const { code, stdout } = await runCli(['leaks', 'demo:counter', '--requests', '4']).exited;
  assert.equal(code, 1, stdout);
  assert.match(stdout, /leak: request 2 \(GET \/\), instance 0, reuse #2\n {2}body: "count=2" on the reused instance, "count=1" on a fresh one/);
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

test('bad input exits 2 with a precise message', async () => {
  const missing = await runCli(['leaks', '/nonexistent.wasm']).exited;
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /error: .*no such file/);
  const one = await runCli(['leaks', 'demo:counter', '--requests', '1']).exited;
  assert.equal(one.code, 2);
  assert.match(one.stderr, /--requests must be at least 2/);
});

test('poolscope serve --leak-check all prints each finding while it serves', async () => {
  const run = runCli(['serve', 'demo:counter', '--leak-check', 'all', '--max-instance-reuse-count', '10', '--idle-instance-timeout', '60s', '--addr', '127.0.0.1:0']);
  const url = await run.serving;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 3; i++) {
    await send(url, { agent });
    // Replays are bounded (2 at once): spacing the requests lets every one be checked.
    await waitUntil(() => (run.stderr().match(/^leak: /gm) ?? []).length >= i);
  }
  agent.destroy();
  run.child.kill('SIGTERM');
  const { code, stderr } = await run.exited;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^leak: request 1 \(GET \/\), instance 0, reuse #2\n {2}body: "count=2" on the reused instance, "count=1" on a fresh one$/m);
  assert.match(stderr, /^leak: request 2 .*reuse #3$/m);
});

test('a bad --leak-check value is refused by name', async () => {
  const { code, stderr } = await runCli(['serve', 'demo:counter', '--leak-check', 'sometimes']).exited;
  assert.equal(code, 1);
  assert.match(stderr, /'sometimes' is not a leak-check mode: use off, all, or a fraction/);
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
