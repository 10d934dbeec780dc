/** The dashboard bridge in web mode, engine side: auth, snapshots, batched events, validated commands. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import { closePreopens, openPreopen } from '../host/p2/filesystem.ts';
import type { ServerMessage, Snapshot } from '../../protocol/index.ts';
import { startDashboardServer, type DashboardServer } from '../web/dashboard-server.ts';
import { connectBridge, type BridgeClient } from './support/bridge-client.ts';
import { sendSequential } from './support/http-client.ts';
import { ONE_REUSED_INSTANCE } from './support/serve.ts';

/** Sessions a failed test left open: closed at the end of the file so nothing hangs. */
const leftovers = new Set<() => Promise<void>>();
after(async () => {
  for (const close of leftovers) await close();
});

async function webMode(component: string | null = 'demo:counter') {
  const staticDir = await mkdtemp(join(tmpdir(), 'poolscope-ui-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Poolscope</title>');
  const knobs = ONE_REUSED_INSTANCE;
  const session = new DashboardSession({ component, knobs, listen: { host: '127.0.0.1', port: 0 } });
  await session.start();
  const server = await startDashboardServer(session, { host: '127.0.0.1', port: 0 }, staticDir);
  const close = async (): Promise<void> => {
    leftovers.delete(close);
    await server.close();
    await session.close();
  };
  leftovers.add(close);
  return { session, server, close };
}

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

function connect(
  server: DashboardServer,
  query = `token=${server.token}`,
  headers: Record<string, string> = {},
): Promise<BridgeClient> {
  return connectBridge(server.address.port, query, headers);
}

test('the page needs the token and the right Host; the socket also needs the right Origin', async () => {
  const web = await webMode();
  const base = `http://127.0.0.1:${web.server.address.port}`;
  assert.equal((await get(web.server.url)).status, 200);
  assert.equal((await get(`${base}/?token=wrong`)).status, 403);
  assert.equal((await get(`${base}/`)).status, 403);
  assert.equal((await get(web.server.url, { host: 'evil.example:80' })).status, 403);
  const page = await get(web.server.url);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);

  await assert.rejects(connect(web.server, 'token=wrong'), /403/);
  await assert.rejects(connect(web.server, `token=${web.server.token}`, { origin: 'http://evil.example' }), /403/);
  const ok = await connect(web.server, `token=${web.server.token}`, {
    origin: `http://127.0.0.1:${web.server.address.port}`,
  });
  ok.ws.close();
  await web.close();
});

test('a dashboard gets a snapshot on connect, then batched events as requests flow', async () => {
  const web = await webMode();
  const client = await connect(web.server);
  const first = await client.until(() => client.messages.find((m) => m.kind === 'snapshot'));
  const snapshot: Snapshot = first.snapshot;
  assert.equal(snapshot.component?.spec, 'demo:counter');
  assert.equal(snapshot.component?.world, 'wasip2');
  assert.equal(snapshot.knobs.maxInstanceReuseCount, 128);
  assert.ok(snapshot.demos.some((d) => d.name === 'demo:hello'));

  const url = web.session.serving!.frontDoor.url;
  assert.deepEqual(
    (await sendSequential(url, 3)).map((r) => r.body),
    ['count=1', 'count=2', 'count=3'],
  );
  const accepted = await client.until(() => {
    const found = client.events().filter((e) => e.type === 'request.accepted');
    return found.length === 3 ? found : undefined;
  });
  assert.deepEqual(
    accepted.map((e) => (e.type === 'request.accepted' ? e.reuseCount : 0)),
    [1, 2, 3],
  );
  const batches = client.messages.filter((m) => m.kind === 'events');
  assert.ok(batches.length < client.events().length, 'events arrive in batches, not one message each');
  client.ws.close();
  await web.close();
});

test('commands are validated: a bad one gets an error reply and changes nothing', async () => {
  const web = await webMode();
  const client = await connect(web.server);
  const zero = await client.command({ type: 'setKnobs', patch: { maxInstanceReuseCount: 0 } });
  assert.equal(zero.ok, false);
  assert.match(zero.ok ? '' : zero.error, /max-instance-reuse-count must be at least 1/);
  const unknown = await client.command({ type: 'launchMissiles' });
  assert.equal(unknown.ok, false);
  const badLoad = await client.command({ type: 'load', component: '/nonexistent.wasm' });
  assert.equal(badLoad.ok, false);
  assert.match(badLoad.ok ? '' : badLoad.error, /no such file/);
  assert.equal(web.session.serving?.component.spec, 'demo:counter', 'a failed load keeps the old component serving');
  assert.equal(web.session.serving?.pool.knobs.maxInstanceReuseCount, 128);

  const set = await client.command({ type: 'setKnobs', patch: { maxInstanceReuseCount: 2, requestTimeoutMs: 500 } });
  assert.equal(set.ok, true);
  assert.equal(web.session.serving?.pool.knobs.maxInstanceReuseCount, 2);
  const notJson = await new Promise<ServerMessage>((resolve) => {
    client.ws.once('message', (data) => resolve(JSON.parse(data.toString()) as ServerMessage));
    client.ws.send('{oops');
  });
  assert.equal(notJson.kind === 'reply' && notJson.ok, false);
  client.ws.close();
  await web.close();
});

test('load switches the component; stop and start serve again; knobs set by the user survive', async () => {
  const web = await webMode();
  const client = await connect(web.server);
  await client.command({ type: 'setKnobs', patch: { maxInstanceReuseCount: 7 } });
  const loaded = await client.command({ type: 'load', component: 'demo:hello' });
  assert.equal(loaded.ok, true);
  const serving = web.session.serving!;
  assert.equal(serving.component.spec, 'demo:hello');
  assert.equal(serving.pool.knobs.maxInstanceReuseCount, 7);
  assert.equal((await sendSequential(serving.frontDoor.url, 1))[0]!.body, 'Hello, WASI!');

  assert.equal((await client.command({ type: 'stop' })).ok, true);
  assert.equal(web.session.serving, null);
  const snapshot = await client.until(() =>
    client.messages.findLast((m) => m.kind === 'snapshot' && !m.snapshot.serving),
  );
  assert.equal(snapshot.kind === 'snapshot' && snapshot.snapshot.listenUrl, null);
  assert.equal((await client.command({ type: 'start' })).ok, true);
  assert.equal((await sendSequential(web.session.serving!.frontDoor.url, 1))[0]!.body, 'Hello, WASI!');
  client.ws.close();
  await web.close();
});

test('a load that --dir cannot be given (a WASIp3 guest importing wasi:filesystem@0.3) is refused before the old component stops', async () => {
  const root = await mkdtemp(join(tmpdir(), 'poolscope-dir-'));
  await writeFile(join(root, 'hello.txt'), 'hi');
  // The p3 hello guest, marked as importing wasi:filesystem@0.3 (the check reads the component's bytes).
  const hello = readFileSync(
    fileURLToPath(
      new URL('../../../shared/fixtures/wasmtime-test-programs/p3-cli-serve-hello-world.wasm', import.meta.url),
    ),
  );
  const name = Buffer.from('poolscope-test');
  const payload = Buffer.concat([Buffer.from([name.length]), name, Buffer.from('wasi:filesystem/types@0.3.0')]);
  const marked = join(root, 'p3-fs03.wasm');
  await writeFile(marked, Buffer.concat([hello, Buffer.from([0, payload.length]), payload]));

  const preopen = openPreopen(root, '/data'); // as the CLI opens --dir at start
  const session = new DashboardSession({
    component: 'demo:hello',
    listen: { host: '127.0.0.1', port: 0 },
    filesystem: { preopens: [preopen] },
  });
  await session.start();
  const server = await startDashboardServer(session, { host: '127.0.0.1', port: 0 }, root);
  const close = async (): Promise<void> => {
    leftovers.delete(close);
    await server.close();
    await session.close();
    closePreopens([preopen]);
  };
  leftovers.add(close);
  const client = await connect(server);
  const before = session.serving!;
  const refused = await client.command({ type: 'load', component: marked });
  assert.equal(refused.ok, false);
  assert.match(
    refused.ok ? '' : refused.error,
    /p3-fs03\.wasm imports wasi:filesystem@0\.3, which Poolscope does not implement, so it cannot be given preopened directories/,
  );
  assert.equal(session.serving, before, 'the old component is still the one serving');
  assert.equal((await sendSequential(before.frontDoor.url, 1))[0]!.body, 'Hello, WASI!');
  client.ws.close();
  await close();
});
