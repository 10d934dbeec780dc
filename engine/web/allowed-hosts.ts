import type { AddressInfo } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { formatHostPort } from '../../base/socket-address.ts';

/** The machine's addresses, as `os.networkInterfaces()` lists them (a parameter so tests can vary it). */
export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The Host headers the dashboard accepts (against DNS rebinding: a page from another site that
 * resolves its own name to this address still sends its own name). Only IP literals and
 * `localhost` are accepted, each with the bound port:
 * - bound to one address: that address, plus `localhost` when it is a loopback one;
 * - bound to every address (`0.0.0.0`, `::`): each address of this machine's interfaces
 *   (IPv6 ones only for `::`, which also accepts IPv4) and `localhost`.
 */
export function allowedHostsFor(address: AddressInfo, interfaces: Interfaces = networkInterfaces()): Set<string> {
  const port = address.port;
  const hosts = new Set<string>([formatHostPort(address.address, port)]);
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  if (wildcard) {
    for (const info of Object.values(interfaces).flat()) {
      if (!info || (info.family === 'IPv6' && address.address !== '::')) continue;
      hosts.add(formatHostPort(info.address, port));
    }
  }
  if (wildcard || isLoopback(address.address)) hosts.add(`localhost:${port}`);
  return hosts;
}

/** True when only this machine can reach the address. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\./.test(bare) || /^::ffff:127\./i.test(bare);
}

/** The line printed when the dashboard listens where the network can reach it; null on loopback. */
export function networkExposureWarning(address: AddressInfo): string | null {
  if (isLoopback(address.address)) return null;
  return (
    `warning: the dashboard listens on ${formatHostPort(address.address, address.port)}, reachable from the network: ` +
    'anyone with its URL (the token) can control the engine; use a loopback --ui-addr unless you mean it'
  );
}
