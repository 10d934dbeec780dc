import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import {
  DEFAULT_LEAK_DETECTION,
  defaultKnobs,
  toWire,
  type PoolEvent,
  type ServerMessage,
} from '../../../protocol/index.ts';
import { bridgeUrl, WebSocketBridgeClient, type ConnectionInfo } from './websocket-client.ts';

/**
 * A bridge server stand-in (the client's job is the socket, not the engine): answers
 * `runScenario` and `setLeakDetection` as the engine does, `setKnobs` with a bare knobs object
 * (the reply's old, wrong shape) and `stop` with an error; sends load progress on connect.
 */
async function fakeServer(port = 0) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: unknown[] = [];
  const sockets = new Set<ServerSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.send(
      JSON.stringify({
        kind: 'load-progress',
        progress: { runId: 0, done: 0, errors: 0, rate: 0, finished: true, statusCounts: {}, latencyMs: null },
      }),
    );
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id: number; command: { type: string } };
      received.push(message);
      const results: Record<string, unknown> = {
        runScenario: { runId: message.id },
        setLeakDetection: DEFAULT_LEAK_DETECTION,
        setKnobs: defaultKnobs('wasip2'),
      };
      const reply =
        message.command.type in results
          ? { kind: 'reply', id: message.id, ok: true, result: results[message.command.type] }
          : { kind: 'reply', id: message.id, ok: false, error: 'nope' };
      ws.send(JSON.stringify(reply));
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    received,
    dropAll: () => {
      for (const ws of sockets) ws.terminate();
    },
    /** Sends `text` as one frame to every connected client. */
    push: (text: string) => {
      for (const ws of sockets) ws.send(text);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

function waitFor(client: WebSocketBridgeClient, status: ConnectionInfo['status']): Promise<void> {
  return new Promise((resolve) => {
    const off = client.onConnection((info) => {
      if (info.status === status) {
        queueMicrotask(() => off());
        resolve();
      }
    });
  });
}

describe('WebSocketBridgeClient', () => {
  const clients: WebSocketBridgeClient[] = [];
  const servers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const client of clients) client.close();
    for (const close of servers) await close();
  });

  it('queues commands until open, matches replies by id, rejects with the engine error', async () => {
    const server = await fakeServer();
    servers.push(server.close);
    const client = new WebSocketBridgeClient({ url: `ws://127.0.0.1:${server.port}/bridge?token=x` });
    clients.push(client);
    const pushes: ServerMessage[] = [];
    client.subscribe((m) => pushes.push(m));
    const [a, b] = await Promise.all([
      client.send({ type: 'runScenario', name: 'state-leaks' }),
      client.send({ type: 'setLeakDetection', patch: {} }),
    ]);
    assert.deepEqual(a, { runId: 1 });
    assert.deepEqual(b, DEFAULT_LEAK_DETECTION);
    await assert.rejects(client.send({ type: 'stop' }), /^Error: nope$/);
    assert.ok(pushes.some((m) => m.kind === 'load-progress'));
    assert.deepEqual(
      server.received.map((m) => (m as { id: number }).id),
      [1, 2, 3],
    );
  });

  it('unpacks event batches, and drops one that does not unpack (the connection carries on)', async () => {
    const server = await fakeServer();
    servers.push(server.close);
    const client = new WebSocketBridgeClient({ url: `ws://127.0.0.1:${server.port}/bridge` });
    clients.push(client);
    const batches: ServerMessage[] = [];
    let wake = (): void => {};
    client.subscribe((m) => {
      if (m.kind !== 'events') return;
      batches.push(m);
      wake();
    });
    await waitFor(client, 'open');
    const events: PoolEvent[] = [
      { type: 'request.received', requestId: 1, method: 'GET', uri: '/', t: 1.5, seq: 0 },
      { type: 'request.dispatched', requestId: 1, mode: 'spawn-direct', t: 2, seq: 1 },
    ];
    const gauges = { liveInstances: 1, availableWorkers: 0, queueDepth: 0, inFlight: 1 };
    const batch: ServerMessage = { kind: 'events', events, gauges, dropped: 0 };
    const arrived = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // A row naming a shape the batch does not have, then a good batch: only the good one arrives.
    server.push(JSON.stringify({ kind: 'events-packed', packed: { shapes: [], rows: [[0, 1]] }, gauges, dropped: 0 }));
    server.push(JSON.stringify(toWire(batch)));
    await arrived;
    assert.deepEqual(batches, [batch]);
  });

  it("refuses a reply that is not the protocol's reply to its command, saying what is wrong", async () => {
    const server = await fakeServer();
    servers.push(server.close);
    const client = new WebSocketBridgeClient({ url: `ws://127.0.0.1:${server.port}/bridge` });
    clients.push(client);
    await assert.rejects(client.send({ type: 'setKnobs', patch: { maxInstanceReuseCount: 2 } }), {
      message:
        "the engine's reply to setKnobs does not match the protocol: knobs: Invalid input: expected object, received undefined; requestedKnobs: Invalid input: expected object, received undefined",
    });
  });

  it('reconnects after the connection drops, and sends what was queued meanwhile', async () => {
    const server = await fakeServer();
    const client = new WebSocketBridgeClient({
      url: `ws://127.0.0.1:${server.port}/bridge`,
      minDelayMs: 20,
      maxDelayMs: 50,
    });
    clients.push(client);
    await waitFor(client, 'open');
    const port = server.port;
    server.dropAll();
    await server.close();
    await waitFor(client, 'connecting');
    const queued = client.send({ type: 'runScenario', name: 'state-leaks' });
    const again = await fakeServer(port);
    servers.push(again.close);
    assert.deepEqual(await queued, { runId: 1 });
  });

  it('retryNow connects at once instead of at the end of a long backoff', async () => {
    const server = await fakeServer();
    const port = server.port;
    // A backoff longer than the test's own timeout: only retryNow can reconnect in time.
    const client = new WebSocketBridgeClient({
      url: `ws://127.0.0.1:${port}/bridge`,
      minDelayMs: 600_000,
      maxDelayMs: 600_000,
    });
    clients.push(client);
    await waitFor(client, 'open');
    server.dropAll();
    await server.close();
    await waitFor(client, 'connecting');
    const again = await fakeServer(port);
    servers.push(again.close);
    const reopened = waitFor(client, 'open');
    client.retryNow();
    await reopened;
    assert.deepEqual(await client.send({ type: 'runScenario', name: 'state-leaks' }), { runId: 1 });
  });

  it('builds the bridge URL from the page location and its token', () => {
    assert.equal(
      bridgeUrl({ protocol: 'http:', host: '127.0.0.1:5000', search: '?token=a+b/c' }),
      'ws://127.0.0.1:5000/bridge?token=a%20b%2Fc',
    );
    assert.equal(bridgeUrl({ protocol: 'https:', host: 'h', search: '' }), 'wss://h/bridge?token=');
  });
});
