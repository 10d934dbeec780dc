// Helpers shared by the zoo's componentize-js guests (bundled into each one by componentize-js,
// which resolves relative imports). They talk to `wasi:http/types@0.2.10` directly: the guests
// export `incomingHandler`, so componentize-js leaves StarlingMonkey's fetch event out.
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.10';

const encoder = new TextEncoder();

/** `blocking-write-and-flush` takes at most 4096 bytes per call. */
const MAX_WRITE = 4096;

/** A thrown WIT error (componentize-js throws the variant itself, jco wraps it in `payload`) as text: `closed`, `forbidden`, … */
export function describeError(error) {
  const value = error !== null && typeof error === 'object' && 'payload' in error ? error.payload : error;
  if (value !== null && typeof value === 'object' && 'tag' in value) {
    return value.val === undefined ? String(value.tag) : `${value.tag}(${typeof value.val === 'object' ? JSON.stringify(value.val) : String(value.val)})`;
  }
  return value instanceof Error ? value.message : String(value);
}

/** Writes all of `bytes` to an output-stream, 4096 bytes at a time. */
export function writeAll(stream, bytes) {
  for (let at = 0; at < bytes.length; at += MAX_WRITE) stream.blockingWriteAndFlush(bytes.subarray(at, at + MAX_WRITE));
}

/** Copies `[name, value]` entries into a new `fields`, one `append` each; throws a sentence naming the entry that was refused. */
export function copyIntoFields(entries, what) {
  const fields = new Fields();
  for (const [name, value] of entries) {
    try {
      fields.append(name, typeof value === 'string' ? encoder.encode(value) : value);
    } catch (error) {
      throw new Error(`copying ${what} '${name}' failed: ${describeError(error)}`);
    }
  }
  return fields;
}

/** Sets a response with `status`, `headers` (a `fields`) and `bytes` as its whole body on `outparam`. */
export function respond(outparam, status, headers, bytes) {
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  // Take the body before `set`: after it the host owns the response.
  const body = response.body();
  ResponseOutparam.set(outparam, { tag: 'ok', val: response });
  const stream = body.write();
  // A write fails when the client went away: nobody is left to answer, and an uncaught
  // exception would trap the instance, so it is ignored.
  try {
    writeAll(stream, bytes);
  } catch {
    // the client went away
  } finally {
    stream[Symbol.dispose](); // a child of the body: dropped before the body is finished
  }
  try {
    OutgoingBody.finish(body, undefined);
  } catch {
    // the client went away
  }
}

/** `respond` with a text body and no headers. */
export function respondText(outparam, status, text) {
  respond(outparam, status, new Fields(), encoder.encode(text));
}
