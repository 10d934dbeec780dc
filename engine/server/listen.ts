import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from '../../base/socket-address.ts';

/** Listens and reports where, as `host:port` with IPv6 in brackets (port 0 resolved to the real one). */
export async function listen(
  server: Server,
  at: { host: string; port: number },
): Promise<{ address: AddressInfo; hostPort: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = tcpAddress(server);
  return { address, hostPort: formatHostPort(address.address, address.port) };
}

/** Where a server listening on TCP is bound (`address()` is a string for a pipe, null when closed). */
export function tcpAddress(server: { address(): AddressInfo | string | null }): AddressInfo {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`not listening on TCP (${address})`);
  return address;
}
