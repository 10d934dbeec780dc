import { request } from 'node:http';
import { connect } from 'node:net';

/** A response with its headers and trailers exactly as they came (name/value pairs, names as sent). */
export interface RawResult {
  status: number;
  headers: Array<[string, string]>;
  body: string;
  trailers: Array<[string, string]>;
}

export interface RawRequest {
  method?: string;
  /** Sent as given, in order, duplicates included (`transfer-encoding: chunked` makes a chunked body). */
  headers?: Array<[string, string]>;
  /** Body chunks, each written on its own. */
  body?: string[];
  /** Sent after a chunked body. */
  trailers?: Array<[string, string]>;
}

const pairs = (raw: string[]): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
};

/** One request over a fresh connection with node:http, which can send and read trailers (fetch cannot). */
export function exchange(url: string, options: RawRequest = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const headers = options.headers ?? [];
    // Given as a list, Node's client adds no Host header of its own.
    const host: Array<[string, string]> = headers.some(([n]) => n.toLowerCase() === 'host')
      ? []
      : [['host', new URL(url).host]];
    const req = request(
      url,
      { method: options.method ?? 'POST', agent: false, headers: [...host, ...headers].flat() },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: pairs(res.rawHeaders),
            body: Buffer.concat(chunks).toString('utf8'),
            trailers: pairs(res.rawTrailers),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const chunk of options.body ?? []) req.write(chunk);
    if (options.trailers) req.addTrailers(options.trailers);
    req.end();
  });
}

/** Writes `bytes` on a new connection and resolves with everything the server sent until the
 * connection closed (a reset after the answer only ends it). */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (received += data));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

/** The values of `name` (any case) in a list of pairs. */
export function valuesOf(list: Array<[string, string]>, name: string): string[] {
  return list.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}
