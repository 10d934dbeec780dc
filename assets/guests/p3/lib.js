// Helpers shared by the p3 demo guests. Bundled into each guest at build time (componentize-qjs
// resolves relative imports during Wizer initialisation). QuickJS has no TextEncoder, no
// setTimeout and no URL: only what the guests need is here.
import { Fields, Response } from 'wasi:http/types@0.3.0';
import { waitFor } from 'wasi:clocks/monotonic-clock@0.3.0';
import { getStdout } from 'wasi:cli/stdout@0.2.12';

/** ASCII/Latin-1 text → bytes (every body here is ASCII). */
export function ascii(text) {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** The request's path without its query ('/' when the request has none). */
export function pathOf(request) {
  const pathWithQuery = request.getPathWithQuery() ?? '/';
  const q = pathWithQuery.indexOf('?');
  return q < 0 ? pathWithQuery : pathWithQuery.slice(0, q);
}

/**
 * `?ms=N` (after `?` or `&`): the digits stop at the first non-digit, `?ms=` means 0 (like the
 * p2 guests); `fallback` when the parameter is absent.
 */
export function queryMs(request, fallback) {
  const match = /[?&]ms=(\d*)/.exec(request.getPathWithQuery() ?? '');
  return match ? Number(match[1] || '0') : fallback;
}

/** Awaits wasi:clocks/monotonic-clock.wait-for: the task yields to the host, others run. */
export async function sleepMs(ms) {
  if (ms > 0) await waitFor(ms * 1_000_000);
}

/** Writes `text` and a newline to stdout (QuickJS here has no `console`); a failure is ignored. */
export function printLine(text) {
  try {
    getStdout().blockingWriteAndFlush(ascii(`${text}\n`)); // at most 4096 bytes per call
  } catch {
    // stdout is gone: nothing to report it on
  }
}

/**
 * A response with `status` and `text` as its whole body. The body and the (empty) trailers are
 * written by a task that outlives `handle`: the host reads them after it has the response.
 */
export function textResponse(status, text) {
  const body = wit.Stream(wit.Stream.U8);
  const trailers = wit.Future(wit.Future.RESULT_OPTION_OTHER_ERROR_CODE);
  const [response, transmitted] = Response.new(new Fields(), body.readable, trailers.readable);
  transmitted.drop();
  if (status !== 200) response.setStatusCode(status);
  (async () => {
    await body.writable.writeAll(ascii(text));
    body.writable.drop();
    await trailers.writable.write({ tag: 'ok', val: null });
  })();
  return response;
}
