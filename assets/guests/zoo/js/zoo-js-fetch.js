/**
 * zoo-js-fetch: a WASIp2 componentize-js (StarlingMonkey) guest that proxies with `fetch()`, i.e.
 * through `wasi:http/outgoing-handler@0.2.10` (needs `--allow-http`).
 *
 * `GET /anything?url=<percent-encoded URL>` fetches that URL (same method; the request body, if
 * any, is forwarded) and answers with the upstream's status, its body unchanged, and every one of
 * its response headers copied into a new `fields` (one `fields.append` each), plus
 * `x-zoo-upstream-status`. This is issue 14's "proxying guest": hop-by-hop headers in the
 * upstream's response (Node's `connection`, `keep-alive`, `transfer-encoding`) must be filtered
 * by the host before the guest sees them, or copying them fails.
 *
 * Answers 400 without `?url=`, 502 `fetch failed: <error>` when `fetch` rejects (denied,
 * connection refused, …), and 502 `copying upstream header '<name>' failed: <header-error>` when
 * a header the host handed over is refused.
 *
 * An async `handle`: componentize-js runs the event loop until its promise settles.
 * Used by engine/test/zoo.test.ts and by issue 14's outgoing-HTTP tests for WASIp2.
 */
import { copyIntoFields, describeError, respond, respondText } from './lib.js';

export const incomingHandler = {
  async handle(request, outparam) {
    const match = /[?&]url=([^&]*)/.exec(request.pathWithQuery() ?? '');
    if (!match) {
      respondText(outparam, 400, 'zoo-js-fetch: give the upstream as ?url=<percent-encoded URL>');
      return;
    }
    const url = decodeURIComponent(match[1]);
    const method = request.method();
    const init = { method: method.tag === 'other' ? method.val : method.tag.toUpperCase() };
    if (init.method !== 'GET' && init.method !== 'HEAD') init.body = await readBody(request);
    let upstream;
    let body;
    try {
      upstream = await fetch(url, init);
      body = new Uint8Array(await upstream.arrayBuffer());
    } catch (error) {
      respondText(outparam, 502, `fetch failed: ${describeError(error)}`);
      return;
    }
    let headers;
    try {
      headers = copyIntoFields([...upstream.headers, ['x-zoo-upstream-status', String(upstream.status)]], 'upstream header');
    } catch (error) {
      respondText(outparam, 502, describeError(error));
      return;
    }
    respond(outparam, upstream.status, headers, body);
  },
};

/** The whole request body, read through wasi:io (blocking reads until `closed`). */
async function readBody(request) {
  const incoming = request.consume();
  const stream = incoming.stream();
  const chunks = [];
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(65536n);
    } catch (error) {
      if (describeError(error) === 'closed') break;
      throw error;
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  stream[Symbol.dispose]();
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
