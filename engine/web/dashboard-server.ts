import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { listen } from '../server/listen.ts';
import type { DashboardSession } from '../bridge/dashboard-session.ts';

export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Same policy as the page's meta tag, sent as a header too (headers also cover non-HTML responses). */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface DashboardServer {
  /** The URL to open, token included. */
  url: string;
  token: string;
  address: AddressInfo;
  close(): Promise<void>;
}

/**
 * Web mode: serves the built dashboard and a WebSocket bridge to the session on loopback.
 * The page and the socket need the random token from the printed URL; every request must name
 * this server in its Host header (against DNS rebinding) and a socket must come from this origin.
 */
export async function startDashboardServer(
  session: DashboardSession,
  at: { host: string; port: number },
  staticDir = DEFAULT_DASHBOARD_DIR,
): Promise<DashboardServer> {
  const token = randomBytes(24).toString('base64url');
  let allowedHosts = new Set<string>();

  const server = createServer((req, res) => {
    void serveStatic(req, res, staticDir, token, allowedHosts);
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const origin = req.headers.origin;
    const refusal =
      url.pathname !== '/bridge'
        ? '404 Not Found'
        : !allowedHosts.has(req.headers.host ?? '')
          ? '403 Forbidden'
          : !tokenMatches(url.searchParams.get('token'), token)
            ? '403 Forbidden'
            : origin !== undefined && !allowedHosts.has(originHost(origin))
              ? '403 Forbidden'
              : null;
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => connect(session, ws));
  });

  const { address, hostPort } = await listen(server, at);
  allowedHosts = new Set([hostPort, `localhost:${address.port}`]);
  return {
    url: `http://${hostPort}/?token=${token}`,
    token,
    address,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function connect(session: DashboardSession, ws: WebSocket): void {
  const peer = {
    send: (message: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    },
  };
  const detach = session.attach(peer);
  ws.on('message', (data) => {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      peer.send({ kind: 'reply', id: -1, ok: false, error: 'invalid command: not JSON' });
      return;
    }
    void session.receive(peer, raw);
  });
  ws.on('close', detach);
}

async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  staticDir: string,
  token: string,
  allowedHosts: Set<string>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  if (!allowedHosts.has(req.headers.host ?? '')) return refuse(res, 403, 'unknown Host header');
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
  const isPage = url.pathname === '/' || url.pathname === '/index.html';
  // The page needs the token; its scripts and styles hold no secrets and load without it.
  if (isPage && !tokenMatches(url.searchParams.get('token'), token)) return refuse(res, 403, 'missing or wrong token');

  const relative = isPage ? 'index.html' : normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
  const path = join(staticDir, relative);
  if (!path.startsWith(staticDir.endsWith(sep) ? staticDir : staticDir + sep)) return refuse(res, 404, 'not found');
  try {
    const info = await stat(path);
    if (!info.isFile()) return refuse(res, 404, 'not found');
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      'content-length': info.size,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  } catch {
    if (isPage) return refuse(res, 503, 'the dashboard is not built: run `npm run build:ui`');
    refuse(res, 404, 'not found');
  }
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function originHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return '';
  }
}
