/**
 * The history as a dashboard is sent it: its byte bound holds for the text on the wire (guest
 * output of control characters or CJK text is several bytes a character once JSON-escaped), and a
 * page opened late is not taken for one that stopped reading because its snapshot is large.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PoolEvent, Snapshot } from '../../protocol/index.ts';
import { connectBridge } from '../test/support/bridge-client.ts';
import { startDashboardServer } from '../web/dashboard-server.ts';
import { DashboardSession } from './dashboard-session.ts';
import { EventHistory, estimateBytes } from './history.ts';

const leftovers = new Set<() => Promise<void>>();
after(async () => {
  for (const close of leftovers) await close();
});

/** Lines a guest may well print: ANSI colours, a control-character dump, CJK, emoji, quotes. */
const HOSTILE_LINES = [
  '\u001b[31merror\u001b[0m '.repeat(2000),
  '\u0001\u0002\u0007'.repeat(20_000),
  '界'.repeat(60_000),
  '😀'.repeat(30_000),
  '"\\'.repeat(30_000),
  'é'.repeat(60_000),
];

function output(line: string, seq: number): PoolEvent {
  return { type: 'guest.output', instanceId: 0, stream: 'stdout', line, t: seq * 10.123456789, seq };
}

test('the estimate is never below the UTF-8 JSON text, and within 2x of it', () => {
  for (const [i, line] of HOSTILE_LINES.entries()) {
    const e = output(line, i);
    const wire = Buffer.byteLength(JSON.stringify(e));
    const estimate = estimateBytes(e);
    assert.ok(estimate >= wire && estimate <= wire * 2, `${JSON.stringify(line.slice(0, 8))}: ${estimate} vs ${wire}`);
  }
});

test('the byte bound holds for the history as sent: hostile output cannot make it several times larger', () => {
  const history = new EventHistory();
  for (let i = 0; i < 600; i++) history.push(output(HOSTILE_LINES[i % HOSTILE_LINES.length] ?? '', i));
  const h = history.history();
  assert.ok(h.dropped > 0, 'the bound was reached');
  const wire = Buffer.byteLength(JSON.stringify(h.events));
  assert.ok(wire <= h.maxBytes, `${wire} bytes of events sent, bound ${h.maxBytes}`);
});

const MAX_BUFFERED_BYTES = 64 * 1024;
/** About 64 KiB of colourful guest output: 100 of them are about 6 MiB, 100 times the bound. */
const LINE = '\u001b[32mok\u001b[0m request handled '.repeat(1500);

/**
 * Web mode serving demo:hello (no requests sent) with a small unread-bytes bound; 100 long lines
 * emitted on its pool's bus, as its guest would print them, before any page opens.
 */
async function webModeWithHistory() {
  const staticDir = await mkdtemp(join(tmpdir(), 'poolscope-history-wire-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Poolscope</title>');
  const session = new DashboardSession({ component: 'demo:hello', listen: { host: '127.0.0.1', port: 0 } });
  await session.start();
  const bus = session.serving?.bus;
  assert.ok(bus, 'serving');
  const logged: string[] = [];
  const logWaiters: Array<() => void> = [];
  const server = await startDashboardServer(session, { host: '127.0.0.1', port: 0 }, staticDir, {
    log: (line) => {
      logged.push(line);
      for (const wake of logWaiters.splice(0)) wake();
    },
    maxBufferedBytes: MAX_BUFFERED_BYTES,
  });
  const close = async (): Promise<void> => {
    leftovers.delete(close);
    await server.close();
    await session.close();
  };
  leftovers.add(close);
  const emitLines = (n: number): void => {
    for (let i = 0; i < n; i++) bus.emit({ type: 'guest.output', instanceId: 0, stream: 'stdout', line: LINE });
  };
  emitLines(100);
  /** Resolves once the server logged a line `pattern` matches. */
  const logLine = async (pattern: RegExp): Promise<string> => {
    for (;;) {
      const found = logged.find((l) => pattern.test(l));
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => logWaiters.push(resolve));
    }
  };
  return { session, server, logged, logLine, emitLines, close };
}

test('over a real WebSocket, a page opened late gets a snapshot larger than the unread-bytes bound, and stays connected', async () => {
  const { server, logged, close } = await webModeWithHistory();
  const client = await connectBridge(server.address.port, `token=${server.token}`);
  const snapshot = await Promise.race([
    client.until(() => client.messages.find((m) => m.kind === 'snapshot')),
    client.closed.then(({ code }) => assert.fail(`disconnected at once (close ${code}): ${logged.join('; ')}`)),
  ]);
  const history = (snapshot.snapshot as Snapshot).history;
  assert.equal(history?.events.filter((e) => e.type === 'guest.output').length, 100);
  assert.ok(Buffer.byteLength(JSON.stringify(snapshot)) > MAX_BUFFERED_BYTES * 50);
  // Still connected, and commands still answered.
  assert.equal((await client.command({ type: 'snapshot' })).ok, true);
  assert.deepEqual(
    logged.filter((l) => /stopped reading/.test(l)),
    [],
  );
  client.ws.close();
  await close();
});

test('a page that stops reading after its large snapshot is still disconnected once what follows passes the bound', async () => {
  const { server, logLine, emitLines, close } = await webModeWithHistory();
  const port = server.address.port;
  // A raw client: it completes the handshake, then reads nothing more.
  const socket = tcpConnect(port, '127.0.0.1');
  socket.write(
    `GET /bridge?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\n` +
      'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  socket.on('error', () => {}); // the server cuts the connection: what it logs is what is checked
  // (A paused socket sees no end: the server's log says when it cut the page off.)
  const cut = logLine(/stopped reading/);
  let stop = false;
  void cut.then(() => (stop = true));
  // Output goes on; each turn lets the session send its batches, until the server cuts the page off.
  while (!stop) {
    emitLines(10);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  assert.match(await cut, /it stopped reading \(over 64 KiB of messages waiting\)/);
  socket.destroy();
  await close();
});
