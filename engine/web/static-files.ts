import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { tokenMatches } from './token.ts';

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

export interface StaticSite {
  dir: string;
  token: string;
  allowedHosts(): Set<string>;
}

/**
 * The request target as a URL, or null when it cannot be one (`//`, for instance, parses as a
 * host with no name). The base only fills in the parts a request target lacks.
 */
export function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://placeholder');
  } catch {
    return null;
  }
}

/** Serves the built dashboard: the page behind the token, its assets without. */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, site: StaticSite): Promise<void> {
  if (!site.allowedHosts().has(req.headers.host ?? '')) return refuse(res, 403, 'unknown Host header');
  const url = parseTarget(req.url);
  if (!url) return refuse(res, 400, `bad request: the path ${JSON.stringify(req.url)} is not a valid URL path`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
  const isPage = url.pathname === '/' || url.pathname === '/index.html';
  // The page needs the token; its scripts and styles hold no secrets and load without it.
  if (isPage && !tokenMatches(url.searchParams.get('token'), site.token))
    return refuse(res, 403, 'missing or wrong token');

  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return refuse(
      res,
      400,
      `bad request: the path ${JSON.stringify(url.pathname.slice(0, 200))} is not valid percent-encoding`,
    );
  }
  const relative = isPage ? 'index.html' : normalize(decoded).replace(/^[/\\]+/, '');
  const root = site.dir.endsWith(sep) ? site.dir : site.dir + sep;
  const path = join(site.dir, relative);
  if (!path.startsWith(root) || path.includes('\0')) return refuse(res, 404, 'not found');
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    if (isPage) return refuse(res, 503, 'the dashboard is not built: run `npm run build:ui`');
    return refuse(res, 404, 'not found');
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    'content-length': info.size,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // pipeline ends both sides on an error (a file gone since stat, a client gone mid-download).
  pipeline(createReadStream(path), res, () => {});
}

export function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${message}\n`);
}
