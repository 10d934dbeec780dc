// p3-endless: 200, then a body of 'x' written forever in 64 KiB writes to the body stream, each
// awaited: the host takes a chunk only when its client can, so the writes are paced by the
// stream (its backpressure). It stops when a write fails or reports the reader gone (the client
// went away), drops the body unfinished and returns. With `?kib=N` it writes N KiB and finishes
// the body normally (a plain, finite request). Every whole MiB written is reported on stdout as
// `endless: N MiB written` (the p2 `endless` protocol), so a test can see how far the guest got
// ahead of its client; when it stops for a departed client it prints
// `endless: stopped, the client went away after N bytes`.
import { Fields, Response } from 'wasi:http/types@0.3.0';
import { printLine } from './lib.js';

const CHUNK_BYTES = 64 * 1024;
const MiB = 1024 * 1024;
const CHUNK = new Uint8Array(CHUNK_BYTES).fill(0x78); // 'x'

/** `?kib=N` (after `?` or `&`) in bytes, or Infinity without it; digits as in `queryMs`. */
function queryLimit(request) {
  const match = /[?&]kib=(\d*)/.exec(request.getPathWithQuery() ?? '');
  return match ? Number(match[1] || '0') * 1024 : Infinity;
}

export const handler = {
  async handle(request) {
    const limit = queryLimit(request);
    const body = wit.Stream(wit.Stream.U8);
    const trailers = wit.Future(wit.Future.RESULT_OPTION_OTHER_ERROR_CODE);
    const [response, transmitted] = Response.new(new Fields(), body.readable, trailers.readable);
    transmitted.drop();
    (async () => {
      let written = 0;
      let closed = false;
      while (written < limit) {
        const part = limit - written < CHUNK_BYTES ? CHUNK.subarray(0, limit - written) : CHUNK;
        let n;
        try {
          // Resolves once the host has taken (some of) the chunk; 0 once the reader is gone.
          n = await body.writable.write(part);
        } catch {
          closed = true; // the stream is done: the reader was dropped
          break;
        }
        if (n === 0) {
          closed = true;
          break;
        }
        const before = Math.floor(written / MiB);
        written += n;
        const after = Math.floor(written / MiB);
        if (after > before) printLine(`endless: ${after} MiB written`);
      }
      body.writable.drop();
      if (closed) printLine(`endless: stopped, the client went away after ${written} bytes`);
      // The trailers are written even for a departed client: dropping a future's write end
      // without a value traps the instance (the component model's rule, under wasmtime too), and
      // would take every other request on it along. A write to a dropped reader just fails.
      try {
        await trailers.writable.write({ tag: 'ok', val: null });
      } catch {
        // the host dropped the trailers with the body: nothing to send them to
      }
    })();
    return response;
  },
};
