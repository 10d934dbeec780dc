/**
 * Local upstreams for the outgoing-HTTP tests (p2/outgoing.test.ts, p3/outgoing.test.ts): real
 * servers on the loopback interface, nothing mocked. Not used by the host itself.
 */

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { OutgoingRecord } from './types.ts';

/**
 * A self-signed certificate for `localhost` and `127.0.0.1`, valid from 2000 to 2100 (so the
 * tests do not depend on today's date). Its key is public: it protects nothing.
 */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBaDCCAQ2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOVYSgXAJV5ecj6H
MPkAjgKxyHNN+1i8XhOK7Hf9L8YtYkm2V0cKNaD0ZuZK9kHokjNNYChkIFvKTrnP
vXEjPFyjTjBMMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAPBgNVHRMBAf8E
BTADAQH/MB0GA1UdDgQWBBTYmpfsXRTTL1h09lMCwCUrCxEqYjAKBggqhkjOPQQD
AgNJADBGAiEAsJMiLhsfp2DbGPGD5KUePeSucmJ7qBvRGhZuoQi1tQsCIQCA+jg5
7OH2gAgkegF3K381NrOyAqaqWJHpCgfT9+T8Bw==
-----END CERTIFICATE-----
`;
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgt/CXYIPoHydfYWiR
9dN60W/Bq5p77iZExzErob3lv5yhRANCAATlWEoFwCVeXnI+hzD5AI4CschzTftY
vF4Tiux3/S/GLWJJtldHCjWg9GbmSvZB6JIzTWAoZCBbyk65z71xIzxc
-----END PRIVATE KEY-----
`;

export interface Upstream {
  /** `127.0.0.1:PORT`. */
  authority: string;
  port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

function tracked(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** A node:http upstream answering with `handler`. */
export async function startUpstream(handler: http.RequestListener): Promise<Upstream> {
  const server = http.createServer(handler);
  const sockets = tracked(server);
  const port = await listen(server);
  return { authority: `127.0.0.1:${port}`, port, close: closer(server, sockets) };
}

/**
 * `startUpstream` for one test file: every upstream it started, and every server given to its
 * `add`, is closed when the file's tests end, so a failed test never leaves one listening. Call it
 * at the file's top level.
 */
export function upstreamsClosedAfterTests(): ((handler: http.RequestListener) => Promise<Upstream>) & {
  add<T extends Upstream>(server: T): T;
} {
  const servers: Upstream[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });
  const add = <T extends Upstream>(server: T): T => {
    servers.push(server);
    return server;
  };
  return Object.assign(async (handler: http.RequestListener) => add(await startUpstream(handler)), { add });
}

/** A node:https upstream with TEST_CERT. */
export async function startTlsUpstream(handler: http.RequestListener): Promise<Upstream> {
  const server = https.createServer({ cert: TEST_CERT, key: TEST_KEY }, handler);
  const sockets = tracked(server);
  const port = await listen(server);
  return { authority: `127.0.0.1:${port}`, port, close: closer(server, sockets) };
}

/** A TCP server that accepts connections and never says a word. `accepted` settles at the first. */
export async function startSilentServer(): Promise<Upstream & { accepted: Promise<net.Socket> }> {
  let accept!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (accept = resolve));
  const server = net.createServer((socket) => accept(socket));
  const sockets = tracked(server);
  const port = await listen(server);
  return { authority: `127.0.0.1:${port}`, port, close: closer(server, sockets), accepted };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reads a Node request body to its end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Records as they come, and a wait for the nth. */
export function recorder() {
  const records: OutgoingRecord[] = [];
  let wake: Array<() => void> = [];
  const onRecord = (record: OutgoingRecord): void => {
    records.push(record);
    const woken = wake;
    wake = [];
    for (const resolve of woken) resolve();
  };
  const recorded = async (n: number): Promise<void> => {
    while (records.length < n) await new Promise<void>((resolve) => wake.push(resolve));
  };
  return { records, onRecord, recorded };
}

/** Two responses read whole by the client, that the guest still holds: both slots of a bound of two taken. */
export function assertTwoWholeAndHeld(records: readonly OutgoingRecord[], client: { activeCount: number }): void {
  assert.deepEqual(
    records.map((r) => r.outcome),
    ['complete', 'complete'],
    'both responses arrived whole',
  );
  assert.equal(client.activeCount, 2, 'over, but the guest has not let go of them');
}
