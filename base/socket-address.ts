/** A host and port to listen on or connect to, as `--addr`, `--ui-addr` and the desktop app's `--addr` take it. */
export interface SocketAddress {
  host: string;
  port: number;
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, or a bare port (on 127.0.0.1). Throws a message naming the value;
 * the CLI turns it into a usage error, the desktop app into a dialog line.
 */
export function parseSocketAddress(text: string): SocketAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new Error(`'${text}' is not an address of the form HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free one)`);
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

/** `host:port` with an IPv6 host in brackets, as a URL or a Host header names it. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
