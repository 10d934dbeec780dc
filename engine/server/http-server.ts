import { createServer, maxHeaderSize, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FailureKind } from '../../protocol/index.ts';
import type { ProxyHandler } from '../pool/proxy-handler.ts';
import type { PoolRequest, Responder } from '../pool/request.ts';
import { listen } from './listen.ts';
import { BodyBudget, readRequestBody } from './request-body.ts';
import { Slots } from './slots.ts';
import { acceptsTrailers, canChunk, declaredTrailers, hasContentLength, trailersToSend } from './trailers.ts';

/**
 * Open client connections at most. Slow clients are bounded by Node's own timers as well: 60 s to
 * send the headers (`headersTimeout`), 300 s for the whole request (`requestTimeout`).
 */
const MAX_CONNECTIONS = 4096;

/** What the front door holds in memory for requests not yet answered. */
interface FrontDoorLimits {
  slots: Slots;
  /** Request bodies are buffered before dispatch (the WASIp2 host reads them synchronously). */
  bodies: BodyBudget;
}

export interface HttpFrontDoor {
  /** `http://HOST:PORT/`, with the real port. */
  url: string;
  address: AddressInfo;
  /** Stops accepting connections; resolves once every accepted request has been answered. */
  close(): Promise<void>;
  /** What the front door holds now: bodies in memory and requests waiting for a slot. */
  stats(): { bodyBytesInMemory: number; waitingForSlot: number };
}

export interface FrontDoorOptions {
  /** Problems that never reach the pool (malformed HTTP, oversized bodies): one line each. */
  onError?: (message: string) => void;
  /** Sees each request before the pool does, and may wrap it (the leak detector tees answers). */
  observe?: (request: PoolRequest) => PoolRequest;
  /** Request bodies in memory at once, all requests together (default DEFAULT_BODY_BUDGET_BYTES). */
  bodyBudgetBytes?: number;
}

/** The HTTP/1.1 front door: turns each request into a pool work item and streams the answer back. */
export async function startHttpServer(
  pool: ProxyHandler,
  at: { host: string; port: number },
  events: FrontDoorOptions = {},
): Promise<HttpFrontDoor> {
  const limits: FrontDoorLimits = {
    slots: new Slots(() => pool.knobs.maxConcurrentRequests),
    bodies: new BodyBudget(events.bodyBudgetBytes),
  };
  let pending = 0;
  let drained: (() => void) | null = null;
  const reportError = events.onError ?? (() => {});
  const observe = events.observe ?? ((request: PoolRequest) => request);

  /** The request of each connection whose body (and trailers) are still arriving: a parse error
   * then is about that request, not the next one. */
  const receiving = new WeakMap<Socket, IncomingMessage>();

  const server: Server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    pending++;
    if (!req.complete) {
      receiving.set(req.socket, req);
      const done = (): void => {
        if (receiving.get(req.socket) === req) receiving.delete(req.socket);
      };
      req.once('end', done);
      req.once('close', done);
    }
    res.on('close', () => {
      pending--;
      if (pending === 0) drained?.();
    });
    // A request-scoped error fails that request only; it must never reach the process.
    req.on('error', () => {});
    res.on('error', () => {});
    serve(pool, limits, req, res, reportError, observe).catch((error: unknown) => {
      reportError(`request handling failed: ${error instanceof Error && error.stack ? error.stack : String(error)}`);
      if (!res.destroyed) sendError(res, 500, 'internal error in the front door');
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A client hanging up (ECONNRESET, EPIPE, or EOF in the middle of a body, which the request
    // itself reports) is not an error worth a line; a parse error is.
    if (!error.code?.startsWith('HPE_') || error.code === 'HPE_INVALID_EOF_STATE') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    // In the middle of a request's body, the overflow is its trailer section: trailers are held
    // to the same bound as headers (Node's parser applies maxHeaderSize to each).
    const request = receiving.get(socket);
    const inBody = request !== undefined && !request.complete;
    const what = inBody ? 'request trailers' : 'request headers';
    const message = tooLarge
      ? `${what} larger than ${maxHeaderSize} bytes`
      : `malformed HTTP request: ${error.code}: ${error.message}`;
    // That request fails with this message rather than as a client that went away.
    if (inBody) refused.set(request, message);
    reportError(message);
    const answer = tooLarge
      ? `431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${what} larger than ${maxHeaderSize} bytes\n`
      : '400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nmalformed HTTP request\n';
    if (socket.writable) socket.end(`HTTP/1.1 ${answer}`);
    else socket.destroy();
  });
  // Past this, new connections are closed at once: a connection flood cannot exhaust descriptors.
  server.maxConnections = MAX_CONNECTIONS;
  // Node hands CONNECT over as 'connect' with a bare socket (no response object): the guest answers
  // it like any other request, as under wasmtime serve, and the connection closes after it.
  server.on('connect', (req: IncomingMessage, socket: Socket) =>
    server.emit('request', req, connectResponse(req, socket)),
  );

  const { address, hostPort } = await listen(server, at);
  // Accept errors (EMFILE under a connection flood) must not take the process down.
  server.on('error', (error) => reportError(`HTTP server: ${error.message}`));
  return {
    url: `http://${hostPort}/`,
    address,
    stats: () => ({ bodyBytesInMemory: limits.bodies.used, waitingForSlot: limits.slots.waiting }),
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
  limits: FrontDoorLimits,
  req: IncomingMessage,
  res: ServerResponse,
  reportError: (message: string) => void,
  observe: (request: PoolRequest) => PoolRequest,
): Promise<void> {
  const id = pool.newRequestId();
  const receivedAt = pool.bus.now();
  const uri = req.url ?? '/';
  pool.bus.emit({ type: 'request.received', requestId: id, method: req.method ?? 'GET', uri });
  /** Fails a request that never reached the pool: one event, and an answer if anyone listens. */
  const failEarly = (status: number | null, kind: FailureKind, message: string): void => {
    pool.bus.emit({
      type: 'request.failed',
      requestId: id,
      instanceId: null,
      kind,
      message,
      latencyMs: pool.bus.now() - receivedAt,
    });
    if (status !== null && !res.destroyed) sendError(res, status, message);
  };

  // A declared length over the cap is refused before a byte of it is read or a slot is taken.
  const maxBody = pool.knobs.maxRequestBodyBytes;
  const declared = Number(req.headers['content-length']);
  if (declared > maxBody) {
    res.setHeader('connection', 'close');
    failEarly(413, 'refused', `request body larger than ${maxBody} bytes (max-request-body-size)`);
    return;
  }

  // The slot first, then the body: waiting requests hold no body memory (10 x 60 MB POSTs queued
  // behind a busy pool used to hold 1.6 GB).
  await limits.slots.acquire();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    limits.slots.release();
  };
  res.on('close', release);
  if (res.destroyed) {
    release();
    const parseError = refused.get(req);
    if (parseError !== undefined) failEarly(null, 'refused', parseError);
    else failEarly(null, 'client-gone', 'the client went away while waiting for a slot');
    return;
  }

  const read = await readRequestBody(req, maxBody, limits.bodies);
  if (!read.ok) {
    if (read.why !== 'client-gone') res.setHeader('connection', 'close');
    if (read.why === 'over-budget') res.setHeader('retry-after', '1');
    const parseError = refused.get(req);
    // The front door already answered a parse error (431/400, see clientError).
    if (parseError !== undefined) failEarly(null, 'refused', parseError);
    else if (read.why === 'client-gone') failEarly(null, 'client-gone', read.message);
    else failEarly(read.why === 'too-large' ? 413 : 503, 'refused', read.message);
    release();
    return;
  }
  res.on('close', () => limits.bodies.give(read.reserved));
  // A chunked body may end with trailers (Node parses them, bounded like headers).
  const trailers = req.rawTrailers.length > 0 ? rawHeaderPairs(req.rawTrailers) : null;

  pool.handle(
    observe({
      id,
      receivedAt,
      init: {
        method: req.method ?? 'GET',
        scheme: 'http',
        authority: req.headers.host ?? '',
        pathWithQuery: uri,
        headers: rawHeaderPairs(req.rawHeaders),
        body: read.body,
        ...(trailers !== null ? { trailers } : {}),
      },
      responder: responderFor(req, res, release),
    }),
  );
}

/** A response written straight to a CONNECT request's socket, which is closed once it is sent. */
function connectResponse(req: IncomingMessage, socket: Socket): ServerResponse {
  socket.on('error', () => {}); // a reset tunnel fails this request only
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  // The socket stays assigned, so its 'close' reaches the response (and the front door's bookkeeping).
  res.on('finish', () => socket.end());
  // Node's HTTP server no longer watches this socket: read (and drop) what the client sends so its
  // hang-up is seen, and pace the body on the socket's own buffer (see `whenWritten`).
  socket.on('data', () => {});
  socket.resume();
  socket.on('drain', () => res.emit('drain'));
  tunnelled.add(res);
  return res;
}

/** CONNECT responses: their socket is outside Node's HTTP bookkeeping, so `res.writableNeedDrain`
 * never clears; their pacing reads the socket's own state. */
const tunnelled = new WeakSet<ServerResponse>();

/** Requests that failed to parse after their head (malformed body, trailers too large), with the
 * message the front door answered; they fail as `refused`, not as a client that went away. */
const refused = new WeakMap<IncomingMessage, string>();

function responderFor(req: IncomingMessage, res: ServerResponse, release: () => void): Responder {
  /** The names the response head declared in `Trailer`, when trailers can be sent at all (see
   * trailers.ts); null otherwise. */
  let trailerNames: Set<string> | null = null;
  /** We ended or cut the response ourselves: a 'close' after that is not the client leaving. */
  let over = false;
  /** The connection closed before the response was over (it may already have, while queued). */
  let gone = res.destroyed && !res.writableFinished;
  const goneListeners: Array<() => void> = [];
  const drainListeners: Array<() => void> = [];
  res.on('close', () => {
    drainListeners.length = 0;
    if (over || gone || res.writableFinished) return;
    gone = true;
    for (const listener of goneListeners.splice(0)) listener();
  });
  res.on('drain', () => {
    for (const listener of drainListeners.splice(0)) listener();
  });
  const finish = (): void => {
    over = true;
    goneListeners.length = 0;
    drainListeners.length = 0;
    release();
  };
  return {
    respond(status, headers) {
      if (res.destroyed) return;
      try {
        const declared = declaredTrailers(headers);
        // A response that cannot be chunked cannot carry trailers, nor (for Node) declare them.
        const chunked =
          declared !== null &&
          canChunk({ method: req.method ?? 'GET', httpVersion: req.httpVersion }, status) &&
          !hasContentLength(headers);
        if (chunked && acceptsTrailers(req.rawHeaders)) trailerNames = declared;
        const flat: string[] = [];
        for (const [name, value] of headers) {
          if (name === 'trailer' && !chunked) continue;
          flat.push(name, Buffer.from(value).toString('latin1'));
        }
        res.writeHead(status, flat);
      } catch (error) {
        sendError(
          res,
          500,
          `guest response head rejected by the HTTP server: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
    fail(kind: FailureKind, message: string) {
      sendError(res, kind === 'shutdown' ? 503 : 500, message);
      finish();
    },
    chunk(bytes) {
      if (!res.writableEnded && !res.destroyed) res.write(bytes);
    },
    end(trailers) {
      if (!res.writableEnded && !res.destroyed) {
        if (trailers !== undefined && trailerNames !== null) {
          const send = trailersToSend(trailerNames, trailers);
          try {
            if (send.length > 0) res.addTrailers(send);
          } catch {
            // A value Node refuses (it validates like `fields` does, so only in theory): dropped,
            // as hyper drops trailers it cannot send.
          }
        }
        res.end();
      }
      finish();
    },
    abort() {
      cutShort(res);
      finish();
    },
    onGone(listener) {
      if (over) return;
      if (gone) queueMicrotask(listener);
      else goneListeners.push(listener);
    },
    whenWritten(listener) {
      if (over || gone) return;
      // Node's `write` returned false: the socket's buffer is over its high-water mark until 'drain'.
      const needsDrain = tunnelled.has(res) ? res.socket?.writableNeedDrain === true : res.writableNeedDrain;
      if (needsDrain) drainListeners.push(listener);
      else listener();
    },
  };
}

/**
 * Ends a response whose head is out without ending it cleanly: what was written still reaches the
 * client, then the connection closes with the body incomplete (no final chunk, or fewer bytes
 * than content-length), so the client sees a truncated answer rather than a complete one.
 */
function cutShort(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) {
    res.destroy();
    return;
  }
  // `writeHead` only stores the head; it goes out with the first body write.
  res.flushHeaders();
  // A response write corks the socket until the next tick: closing it before then loses what
  // was written. After that, `destroySoon` sends what is buffered, then closes.
  process.nextTick(() => socket.destroySoon());
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    cutShort(res);
    return;
  }
  const body = `${message}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function rawHeaderPairs(raw: string[]): Array<[string, Uint8Array]> {
  const pairs: Array<[string, Uint8Array]> = [];
  // biome-ignore lint/style/noNonNullAssertion: i + 1 < raw.length
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!.toLowerCase(), Buffer.from(raw[i + 1]!, 'latin1')]);
  return pairs;
}
