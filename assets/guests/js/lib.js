// Shared by the componentize-js guests: answer one request through wasi:http directly.
//
// Not StarlingMonkey's `fetch` event: in componentize-js 0.22 an instance can answer only its
// first FetchEvent (the second throws "FetchEvent#respondWith can't be called twice on the same
// event" and never sets a response; StarlingMonkey issue #247), so a reused instance would fail.
// Exporting `incomingHandler` instead makes componentize-js drop the fetch event and call us.
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.10';

const encoder = new TextEncoder();

/** Sets `status` with `text` as the whole body on `outparam`. */
export function respondText(outparam, status, text) {
  const response = new OutgoingResponse(new Fields());
  response.setStatusCode(status);
  // Take the body before `set`: after it the host owns the response.
  const body = response.body();
  ResponseOutparam.set(outparam, { tag: 'ok', val: response });
  const stream = body.write();
  // A write or finish fails when the client went away (the stream is closed). Nobody is left to
  // answer then, and an uncaught exception would trap the instance: ignore it.
  try {
    // blocking-write-and-flush takes at most 4096 bytes; every answer here is far shorter.
    stream.blockingWriteAndFlush(encoder.encode(text));
  } catch {
    // the client went away
  } finally {
    // The stream is a child of the body: drop it before finishing the body.
    stream[Symbol.dispose]();
  }
  try {
    OutgoingBody.finish(body, undefined);
  } catch {
    // the client went away
  }
}
