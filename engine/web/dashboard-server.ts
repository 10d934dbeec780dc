import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { listen } from '../server/listen.ts';
import type { DashboardSession } from '../bridge/dashboard-session.ts';
import { allowedHostsFor, networkExposureWarning } from './allowed-hosts.ts';
import {
  BridgeSocket,
  connectBridgeSocket,
  DEFAULT_MAX_BUFFERED_BYTES,
  MAX_BRIDGE_MESSAGE_BYTES,
} from './bridge-socket.ts';
import { parseTarget, refuse, serveStatic } from './static-files.ts';
import { tokenMatches } from './token.ts';

/**
 * The built dashboard. `POOLSCOPE_DASHBOARD_DIR` serves one built elsewhere (a development aid:
 * two checkouts' tests building the page at once must not share one output folder).
 */
export const DEFAULT_DASHBOARD_DIR =
  process.env.POOLSCOPE_DASHBOARD_DIR || fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

export interface DashboardServer {
  /** The URL to open, token included. */
  url: string;
  token: string;
  address: AddressInfo;
  /** A line to print when the address is reachable from the network; null on loopback. */
  warning: string | null;
  close(): Promise<void>;
}

export interface DashboardServerOptions {
  /** Where unexpected errors are reported, one line each (stderr by default). */
  log?: (line: string) => void;
  /** Unread messages kept per dashboard before it is disconnected (16 MiB by default). */
  maxBufferedBytes?: number;
}

/** Client hang-ups are ordinary on a socket: not worth a line each. */
const HANG_UPS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Web mode: serves the built dashboard and a WebSocket bridge to the session on loopback.
 * The page and the socket need the random token from the printed URL; every request must name
 * this server in its Host header (against DNS rebinding) and a socket must come from this origin.
 * Nothing a client sends escapes as an error: each request, socket and WebSocket has a handler.
 */
export async function startDashboardServer(
  session: DashboardSession,
  at: { host: string; port: number },
  staticDir = DEFAULT_DASHBOARD_DIR,
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const connectionOptions = { log, maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES };
  const onSocketError = (context: string) => (error: NodeJS.ErrnoException) => {
    if (!HANG_UPS.has(error.code ?? '')) log(`dashboard server: ${context}: ${error.message}`);
  };
  const token = randomBytes(24).toString('base64url');
  let allowedHosts = new Set<string>();
  const site = { dir: staticDir, token, allowedHosts: () => allowedHosts };

  const server = createServer((req, res) => {
    serveStatic(req, res, site).catch((error: unknown) => {
      log(
        `dashboard server: ${req.method} ${String(req.url).slice(0, 200)} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!res.headersSent) refuse(res, 500, 'internal error (logged by the engine)');
      else res.destroy();
    });
  });
  server.on('error', onSocketError('listener'));
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_BRIDGE_MESSAGE_BYTES,
    WebSocket: BridgeSocket,
  });
  sockets.on('error', onSocketError('WebSocket server'));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Before anything else: a client may reset the connection at any point from here on.
    socket.on('error', onSocketError('WebSocket upgrade'));
    const refusal = upgradeRefusal(req, token, allowedHosts);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => connectBridgeSocket(session, ws, connectionOptions));
  });

  const { address, hostPort } = await listen(server, at);
  allowedHosts = allowedHostsFor(address);
  return {
    url: `http://${hostPort}/?token=${token}`,
    token,
    address,
    warning: networkExposureWarning(address),
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Why an upgrade is refused (status line), or null to accept it. */
function upgradeRefusal(req: IncomingMessage, token: string, allowedHosts: Set<string>): string | null {
  const url = parseTarget(req.url);
  if (!url) return '400 Bad Request';
  if (url.pathname !== '/bridge') return '404 Not Found';
  if (!allowedHosts.has(req.headers.host ?? '')) return '403 Forbidden';
  if (!tokenMatches(url.searchParams.get('token'), token)) return '403 Forbidden';
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.has(originHost(origin))) return '403 Forbidden';
  return null;
}

function originHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return '';
  }
}
