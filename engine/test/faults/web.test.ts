/**
 * Fault injection, web mode: hostile HTTP requests, WebSocket upgrades, messages and commands sent
 * to the dashboard server. Each attack ends by checking that the dashboard still answers and that
 * the served port still serves a plain request: the process is alive and nothing hangs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardSession } from '../../bridge/dashboard-session.ts';
import { sendRequestsFromDashboard } from '../../bridge/send-requests.ts';
import type { ServerMessage } from '../../../protocol/index.ts';
import { MAX_BRIDGE_MESSAGE_BYTES } from '../../web/bridge-socket.ts';
import { startDashboardServer } from '../../web/dashboard-server.ts';
import { connectBridge, type BridgeClient } from '../support/bridge-client.ts';
import { send } from '../support/http-client.ts';

const leftovers = new Set<() => Promise<void>>();
after(async () => {
  for (const close of leftovers) await close();
});

async function webMode(options: { maxBufferedBytes?: number } = {}) {
  const staticDir = await mkdtemp(join(tmpdir(), 'poolscope-faults-ui-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Poolscope</title>');
  await writeFile(join(staticDir, 'app.js'), 'export {};');
  const session = new DashboardSession({
    component: 'demo:hello',
    knobs: { maxInstanceReuseCount: 128 },
    listen: { host: '127.0.0.1', port: 0 },
  });
  session.useRequestSender(sendRequestsFromDashboard);
  await session.start();
  const logged: string[] = [];
  const logWaiters: Array<() => void> = [];
  const log = (line: string): void => {
    logged.push(line);
    for (const wake of logWaiters.splice(0)) wake();
  };
  /** Resolves with the first line the server logged that matches. */
  const logLine = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const line = logged.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      await new Promise<void>((resolve) => logWaiters.push(resolve));
    }
  };
  const server = await startDashboardServer(session, { host: '127.0.0.1', port: 0 }, staticDir, { log, ...options });
  const close = async (): Promise<void> => {
    leftovers.delete(close);
    await server.close();
    await session.close();
  };
  leftovers.add(close);
  return { session, server, logged, logLine, close, port: server.address.port };
}

type Web = Awaited<ReturnType<typeof webMode>>;

/** The process survived: the page loads with its token and the served port answers a plain GET. */
async function assertAlive(web: Web): Promise<void> {
  assert.equal((await send(web.server.url)).status, 200, 'the dashboard page still loads');
  const served = await send(web.session.serving!.frontDoor.url);
  assert.deepEqual([served.status, served.body.trim()], [200, 'Hello, WASI!'], 'the served port still answers');
}

/** Writes raw bytes and collects everything the server sends until it closes the connection. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

function upgradeRequest(port: number, target: string, extra = ''): string {
  return (
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`
  );
}

/** Sends an upgrade request, waits for the server's first bytes, then resets the connection (RST). */
function upgradeThenReset(port: number, request: string, waitForAnswer = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect(port, '127.0.0.1', () => {
      socket.write(request);
      if (!waitForAnswer) {
        socket.resetAndDestroy();
        resolve('');
      }
    });
    socket.once('data', (chunk) => {
      socket.resetAndDestroy();
      resolve(chunk.toString('latin1'));
    });
    socket.on('error', (error) => (waitForAnswer ? reject(error) : undefined));
  });
}

function openBridge(web: Web): Promise<BridgeClient> {
  return connectBridge(web.port, `token=${web.server.token}`);
}

test('an undecodable or unparsable path gets 400 with a reason, no token needed', async () => {
  const web = await webMode();
  for (const target of ['/%', '/%E0%A4%A', '/assets/%zz.js', '//']) {
    const answer = await raw(
      web.port,
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 400 /, `GET ${target}`);
    assert.match(answer, /bad request: the path .* is not (a valid URL path|valid percent-encoding)/, `GET ${target}`);
  }
  const asset = await send(`http://127.0.0.1:${web.port}/app.js`);
  assert.equal(asset.status, 200, 'a good asset still loads');
  await assertAlive(web);
  await web.close();
});

test('a refused or unparsable upgrade followed by a TCP reset does not take the process down', async () => {
  const web = await webMode();
  const attacks: Array<[string, string]> = [
    ['wrong token', upgradeRequest(web.port, '/bridge?token=wrong')],
    ['unknown path', upgradeRequest(web.port, '/elsewhere')],
    ['unparsable path', upgradeRequest(web.port, '//')],
    [
      'foreign Host',
      upgradeRequest(web.port, `/bridge?token=${web.server.token}`).replace(
        `Host: 127.0.0.1:${web.port}`,
        'Host: evil.example',
      ),
    ],
  ];
  for (const [what, request] of attacks) {
    const answer = await upgradeThenReset(web.port, request);
    assert.match(answer, /^HTTP\/1\.1 (400|403|404) /, what);
    await upgradeThenReset(web.port, request, false); // reset before any answer, too
    await assertAlive(web);
  }
  // An accepted upgrade reset mid-handshake.
  await upgradeThenReset(web.port, upgradeRequest(web.port, `/bridge?token=${web.server.token}`));
  await assertAlive(web);
  await web.close();
});

test('an oversized message closes that connection with 1009 and a reason; other dashboards keep working', async () => {
  const web = await webMode();
  const bystander = await openBridge(web);
  const attacker = await openBridge(web);
  attacker.ws.send(Buffer.alloc(MAX_BRIDGE_MESSAGE_BYTES + 1, 0x20));
  const { code, reason } = await attacker.closed;
  assert.equal(code, 1009);
  assert.match(reason, /message too big: the limit is 1 MiB/);
  // A 10 MB message, as in the report, on a fresh connection.
  const big = await openBridge(web);
  big.ws.send(Buffer.alloc(10 * 1024 * 1024, 0x20));
  assert.equal((await big.closed).code, 1009);

  const reply = await bystander.command({ type: 'snapshot' });
  assert.equal(reply.ok, true, 'the other dashboard still gets replies');
  bystander.ws.close();
  await assertAlive(web);
  await web.close();
});

test('malformed and unknown messages get precise error replies; the connection stays usable', async () => {
  const web = await webMode();
  const client = await openBridge(web);
  const replyTo = async (text: string | Buffer): Promise<Extract<ServerMessage, { kind: 'reply' }>> => {
    const before = client.messages.length;
    client.ws.send(text);
    return client.until(() =>
      client.messages.slice(before).find((m): m is Extract<ServerMessage, { kind: 'reply' }> => m.kind === 'reply'),
    );
  };
  const cases: Array<[string | Buffer, RegExp]> = [
    ['{oops', /invalid command: not JSON/],
    ['null', /invalid command/],
    ['[]', /invalid command/],
    ['"text"', /invalid command/],
    ['{"id": 5}', /invalid command: command/],
    ['{"id": 6, "command": {"type": "launchMissiles"}}', /invalid command/],
    ['{"id": 7, "command": {"type": "setKnobs", "patch": {"maxInstanceReuseCount": 1e309}}}', /invalid command/],
    [Buffer.from([0xff, 0xfe, 0x00]), /invalid command: not JSON/],
  ];
  for (const [text, expected] of cases) {
    const reply = await replyTo(text);
    assert.equal(reply.ok, false, String(text));
    assert.match(reply.ok ? '' : reply.error, expected, String(text));
  }
  assert.equal((await client.command({ type: 'snapshot' })).ok, true);
  client.ws.close();
  await assertAlive(web);
  await web.close();
});

test('a dashboard that reads nothing is disconnected once its unread messages pass the bound', async () => {
  const web = await webMode({ maxBufferedBytes: 256 * 1024 });
  // A raw client: it completes the handshake, then sends commands and never reads the replies.
  const socket = tcpConnect(web.port, '127.0.0.1');
  socket.write(upgradeRequest(web.port, `/bridge?token=${web.server.token}`));
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  const snapshotCommand = maskedTextFrame(JSON.stringify({ id: 1, command: { type: 'snapshot' } }));
  const cut = new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
  let stop = false;
  void cut.then(() => (stop = true));
  while (!stop) {
    if (!socket.write(snapshotCommand))
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), cut]);
  }
  await cut;
  const line = await web.logLine(/stopped reading/);
  assert.match(line, /dashboard connection closed: it stopped reading \(over 256 KiB of messages waiting\)/);
  await assertAlive(web);
  await web.close();
});

test('sendRequests always targets the served address: //host, /\\host and control characters are refused', async () => {
  const web = await webMode();
  let strayHits = 0;
  const other: Server = createServer((_req, res) => {
    strayHits++;
    res.end('stray');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const otherPort = (other.address() as AddressInfo).port;
  const client = await openBridge(web);
  for (const path of [
    `//127.0.0.1:${otherPort}/x`,
    `/\\127.0.0.1:${otherPort}/x`,
    `/\t/127.0.0.1:${otherPort}/x`,
    'http://127.0.0.1/',
    '',
  ]) {
    const reply = await client.command({ type: 'sendRequests', count: 2, concurrency: 1, path, method: 'GET' });
    assert.equal(reply.ok, false, JSON.stringify(path));
    assert.match(
      reply.ok ? '' : reply.error,
      /path must start with (a single )?\/|path must not contain/,
      JSON.stringify(path),
    );
  }
  // Even a command that skipped the schema cannot leave the served address.
  const serving = web.session.serving!;
  await assert.rejects(
    sendRequestsFromDashboard(
      serving,
      { type: 'sendRequests', count: 1, concurrency: 1, path: `//127.0.0.1:${otherPort}/x`, method: 'GET' },
      () => {},
    ),
    /path must start with a single \//,
  );
  const ok = await client.command({
    type: 'sendRequests',
    count: 2,
    concurrency: 1,
    path: '/a//b?c=//d',
    method: 'GET',
  });
  assert.equal(ok.ok, true);
  assert.deepEqual((ok as { result: { statusCounts: Record<string, number> } }).result.statusCounts, { '200': 2 });
  assert.equal(strayHits, 0, 'no request reached the other listener');
  client.ws.close();
  await new Promise<void>((resolve) => other.close(() => resolve()));
  await assertAlive(web);
  await web.close();
});

/** One client → server text frame (clients must mask; the mask is zero, which is allowed). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  assert.ok(payload.length < 126);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}
