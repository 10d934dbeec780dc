import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FailureKind } from '../protocol/index.ts';
import type { ProxyHandler } from '../pool/proxy-handler.ts';
import type { PoolRequest, Responder } from '../pool/request.ts';
import { listen } from './listen.ts';
import { Slots } from './slots.ts';

/** Request bodies are buffered before dispatch (the WASIp2 host reads them synchronously). */
const MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;

export interface HttpFrontDoor {
  /** `http://HOST:PORT/`, with the real port. */
  url: string;
  address: AddressInfo;
  /** Stops accepting connections; resolves once every accepted request has been answered. */
  close(): Promise<void>;
}

export interface FrontDoorEvents {
  /** Problems that never reach the pool (malformed HTTP, oversized bodies): one line each. */
  onError?: (message: string) => void;
  /** Sees each request before the pool does, and may wrap it (the leak detector tees answers). */
  observe?: (request: PoolRequest) => PoolRequest;
}

/** The HTTP/1.1 front door: turns each request into a pool work item and streams the answer back. */
export async function startHttpServer(
  pool: ProxyHandler,
  at: { host: string; port: number },
  events: FrontDoorEvents = {},
): Promise<HttpFrontDoor> {
  const slots = new Slots(() => pool.knobs.maxConcurrentRequests);
  let pending = 0;
  let drained: (() => void) | null = null;
  const reportError = events.onError ?? (() => {});
  const observe = events.observe ?? ((request: PoolRequest) => request);

  const server: Server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    pending++;
    res.on('close', () => {
      pending--;
      if (pending === 0) drained?.();
    });
    void serve(pool, slots, req, res, reportError, observe);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A client hanging up (ECONNRESET, EPIPE) is not an error worth a line; a parse error is.
    if (!error.code?.startsWith('HPE_')) {
      socket.destroy();
      return;
    }
    reportError(`malformed HTTP request: ${error.code}: ${error.message}`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nmalformed HTTP request\n');
    else socket.destroy();
  });

  const { address, hostPort } = await listen(server, at);
  return {
    url: `http://${hostPort}/`,
    address,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        if (pending === 0) return;
        drained = () => server.closeIdleConnections();
      });
    },
  };
}

async function serve(
  pool: ProxyHandler,
  slots: Slots,
  req: IncomingMessage,
  res: ServerResponse,
  reportError: (message: string) => void,
  observe: (request: PoolRequest) => PoolRequest,
): Promise<void> {
  const id = pool.newRequestId();
  const receivedAt = pool.bus.now();
  const uri = req.url ?? '/';
  pool.bus.emit({ type: 'request.received', requestId: id, method: req.method ?? 'GET', uri });

  const body = await readBody(req);
  if (body === null) {
    reportError(`request ${id}: body larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
    sendError(res, 413, `request body larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
    return;
  }
  await slots.acquire();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    slots.release();
  };
  res.on('close', release);

  pool.handle(observe({
    id,
    receivedAt,
    init: {
      method: req.method ?? 'GET',
      scheme: 'http',
      authority: req.headers.host ?? '',
      pathWithQuery: uri,
      headers: rawHeaderPairs(req.rawHeaders),
      body,
    },
    responder: responderFor(res, release),
  }));
}

function responderFor(res: ServerResponse, release: () => void): Responder {
  return {
    respond(status, headers) {
      try {
        const flat: string[] = [];
        for (const [name, value] of headers) flat.push(name, Buffer.from(value).toString('latin1'));
        res.writeHead(status, flat);
      } catch (error) {
        sendError(res, 500, `guest response head rejected by the HTTP server: ${(error as Error).message}`);
      }
    },
    fail(kind: FailureKind, message: string) {
      sendError(res, kind === 'shutdown' ? 503 : 500, message);
      release();
    },
    chunk(bytes) {
      if (!res.writableEnded) res.write(bytes);
    },
    end() {
      if (!res.writableEnded) res.end();
      release();
    },
    abort() {
      // The head is out: all that is left is to cut the body short, so the client sees the error.
      res.destroy();
      release();
    },
  };
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${message}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function rawHeaderPairs(raw: string[]): Array<[string, Uint8Array]> {
  const pairs: Array<[string, Uint8Array]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!.toLowerCase(), Buffer.from(raw[i + 1]!, 'latin1')]);
  return pairs;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
