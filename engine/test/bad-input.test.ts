/** Bad input gets a precise message and a non-zero exit; nothing is left half-started. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { runCli } from './support/cli.ts';
import { writeBadInputs } from './support/fixture-components.ts';
import { send } from './support/http-client.ts';
import { loadError } from './support/load-error.ts';
import { serveForTest } from './support/serve.ts';

const bad = await writeBadInputs();

test('a file that is not wasm', async () => {
  assert.match(await loadError(bad.notWasm), /is not a WebAssembly file/);
});

test('a core module, not a component', async () => {
  assert.match(await loadError(bad.coreModule), /is a core WebAssembly module, not a component/);
});

test('a component of the wrong world names what it exports and what is needed', async () => {
  const message = await loadError(bad.wrongWorld);
  assert.match(message, /wrong world: it exports poolscope:test\/greeter/);
  assert.match(message, /wasi:http\/incoming-handler@0\.2\.x/);
});

test('a component importing what the host cannot provide names the interface', async () => {
  assert.match(
    await loadError(bad.unknownImport),
    /imports interfaces Poolscope cannot provide: poolscope:test\/unknown/,
  );
});

test('a missing file, a directory, an unknown demo', async () => {
  assert.match(await loadError('/nonexistent/guest.wasm'), /no such file/);
  assert.match(await loadError(bad.directory), /is a directory/);
  assert.match(await loadError('demo:nope'), /unknown demo guest 'demo:nope'; available: demo:hello/);
});

test('the CLI exits non-zero with one error line for a bad component, before listening', async () => {
  const run = runCli(['serve', bad.wrongWorld, '--addr', '127.0.0.1:0']);
  const { code, stderr } = await run.exited;
  assert.equal(code, 1);
  assert.match(stderr, /^error: .*wrong world/m);
  assert.doesNotMatch(stderr, /Serving HTTP/);
});

test('the CLI rejects --max-instance-reuse-count 0 with a clear message', async () => {
  const run = runCli(['serve', 'demo:hello', '--addr', '127.0.0.1:0', '--max-instance-reuse-count', '0']);
  const { code, stderr } = await run.exited;
  assert.equal(code, 1);
  assert.match(stderr, /error: max-instance-reuse-count must be at least 1/);
});

test('the CLI rejects malformed flag values by name', async () => {
  const bad1 = await runCli(['serve', 'demo:hello', '--idle-instance-timeout', '1.5s']).exited;
  assert.notEqual(bad1.code, 0);
  assert.match(bad1.stderr, /--idle-instance-timeout.*invalid duration '1\.5s'/);
  const bad2 = await runCli(['serve', 'demo:hello', '--addr', 'localhost']).exited;
  assert.notEqual(bad2.code, 0);
  assert.match(bad2.stderr, /not an address of the form HOST:PORT/);
  const bad3 = await runCli(['serve', 'demo:hello', '-W', 'fuel=10']).exited;
  assert.notEqual(bad3.code, 0);
  assert.match(bad3.stderr, /-W fuel is not supported/);
});

test('malformed HTTP gets a 400, and the server keeps serving', async () => {
  const server = await serveForTest('demo:hello');
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(server.frontDoor.address.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400 Bad Request/);
  assert.ok(server.stderr.some((line) => line.startsWith('error: malformed HTTP request')));
  const ok = await send(server.url());
  assert.equal(ok.body, 'Hello, WASI!');
  await server.close();
});
