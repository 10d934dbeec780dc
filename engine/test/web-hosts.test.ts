/** The dashboard's Host allow-list and its network warning, for loopback, one address and every address. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir, type NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import { allowedHostsFor, networkExposureWarning, type Interfaces } from '../web/allowed-hosts.ts';
import { startDashboardServer } from '../web/dashboard-server.ts';
import { send } from './support/http-client.ts';

const at = (address: string, family = address.includes(':') ? 'IPv6' : 'IPv4'): AddressInfo => ({
  address,
  family,
  port: 5173,
});
const nic = (address: string, internal = false): NetworkInterfaceInfo =>
  address.includes(':')
    ? { address, netmask: '', family: 'IPv6', mac: '00:00:00:00:00:00', internal, cidr: null, scopeid: 0 }
    : { address, netmask: '', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: null };
const machine: Interfaces = {
  lo: [nic('127.0.0.1', true), nic('::1', true)],
  eth0: [nic('192.0.2.2'), nic('fd00::2')],
};

test('loopback: the bound address and localhost, nothing else', () => {
  assert.deepEqual([...allowedHostsFor(at('127.0.0.1'), machine)].sort(), ['127.0.0.1:5173', 'localhost:5173']);
  assert.deepEqual([...allowedHostsFor(at('::1'), machine)].sort(), ['[::1]:5173', 'localhost:5173']);
  assert.equal(networkExposureWarning(at('127.0.0.1')), null);
  assert.equal(networkExposureWarning(at('::1')), null);
});

test('one non-loopback address: exactly that address, with a warning', () => {
  assert.deepEqual([...allowedHostsFor(at('192.0.2.2'), machine)], ['192.0.2.2:5173']);
  assert.match(
    networkExposureWarning(at('192.0.2.2')) ?? '',
    /^warning: the dashboard listens on 192\.0\.2\.2:5173, reachable from the network/,
  );
});

test('every address: each address of the machine (IPv6 ones only for ::) and localhost, with a warning', () => {
  assert.deepEqual([...allowedHostsFor(at('0.0.0.0'), machine)].sort(), [
    '0.0.0.0:5173',
    '127.0.0.1:5173',
    '192.0.2.2:5173',
    'localhost:5173',
  ]);
  assert.deepEqual([...allowedHostsFor(at('::'), machine)].sort(), [
    '127.0.0.1:5173',
    '192.0.2.2:5173',
    '[::1]:5173',
    '[::]:5173',
    '[fd00::2]:5173',
    'localhost:5173',
  ]);
  assert.match(
    networkExposureWarning(at('0.0.0.0')) ?? '',
    /reachable from the network: anyone with its URL \(the token\) can control the engine/,
  );
  assert.ok(
    !allowedHostsFor(at('0.0.0.0'), machine).has('evil.example:5173'),
    'names other than localhost are never allowed (DNS rebinding)',
  );
});

test("bound to 0.0.0.0, the dashboard opens by the machine's own IP (connecting from this machine only)", async (t) => {
  const ip = Object.values(networkInterfaces())
    .flat()
    .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;
  if (!ip) return t.skip('this machine has no non-loopback IPv4 address');
  const staticDir = await mkdtemp(join(tmpdir(), 'poolscope-hosts-ui-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Poolscope</title>');
  const session = new DashboardSession({ component: null, listen: { host: '127.0.0.1', port: 0 } });
  const server = await startDashboardServer(session, { host: '0.0.0.0', port: 0 }, staticDir, { log: () => {} });
  try {
    const port = server.address.port;
    assert.match(server.warning ?? '', /reachable from the network/);
    assert.equal((await send(`http://${ip}:${port}/?token=${server.token}`)).status, 200, "opened by the machine's IP");
    assert.equal((await send(`http://127.0.0.1:${port}/?token=${server.token}`)).status, 200, 'and by loopback');
    assert.equal(
      (await send(`http://${ip}:${port}/?token=${server.token}`, { headers: { host: `evil.example:${port}` } })).status,
      403,
    );
    const ws = new WebSocket(`ws://${ip}:${port}/bridge?token=${server.token}`, {
      headers: { origin: `http://${ip}:${port}` },
    });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(data.toString()));
      ws.once('error', reject);
    });
    assert.match(first, /"kind":"snapshot"/);
    ws.close();
  } finally {
    await server.close();
    await session.close();
  }
});
