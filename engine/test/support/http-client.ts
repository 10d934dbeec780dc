import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends the request `start` makes (with `body`) and collects its whole answer. */
function exchange(
  start: (onResponse: (res: IncomingMessage) => void) => ClientRequest,
  body: string | undefined,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = start((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One HTTP request over loopback. Pass an `agent` to reuse a keep-alive connection. */
export function send(
  url: string,
  options: {
    method?: string;
    body?: string;
    agent?: Agent;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<HttpResult> {
  const init = {
    method: options.method ?? 'GET',
    agent: options.agent ?? false,
    headers: options.headers,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return exchange((onResponse) => request(url, init, onResponse), options.body);
}

/** A request to `base`'s host whose path goes out exactly as written (no URL normalisation of `..` or `//`). */
export function sendRawPath(
  base: string,
  rawPath: string,
  options: { method?: string; body?: string; headers?: Record<string, string | string[]> } = {},
): Promise<HttpResult> {
  const { hostname, port } = new URL(base);
  return exchange(
    (onResponse) =>
      request(
        { hostname, port, path: rawPath, method: options.method ?? 'GET', headers: options.headers, agent: false },
        onResponse,
      ),
    options.body,
  );
}

/**
 * wasmtime's cli_serve "many" shape: `connections` keep-alive connections in parallel, each sending
 * `requestsPerConnection` requests one after another.
 */
export async function sendMany(url: string, connections: number, requestsPerConnection: number): Promise<HttpResult[]> {
  const results: HttpResult[][] = await Promise.all(
    Array.from({ length: connections }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const mine: HttpResult[] = [];
      try {
        for (let i = 0; i < requestsPerConnection; i++) mine.push(await send(url, { agent }));
      } finally {
        agent.destroy();
      }
      return mine;
    }),
  );
  return results.flat();
}

/** Sequential requests, in order. */
export async function sendSequential(url: string, count: number): Promise<HttpResult[]> {
  const results: HttpResult[] = [];
  for (let i = 0; i < count; i++) results.push(await send(url));
  return results;
}
