/**
 * zoo-js-echo: a WASIp2 `wasi:http/incoming-handler@0.2.10` guest built with componentize-js
 * (StarlingMonkey), written against the raw `wasi:http/types` bindings, not `fetch`/`Response`.
 * (It stands in for a componentize-qjs p2 guest, which componentize-qjs 0.4.5 cannot build: see
 * assets/guests/README.md, "The zoo".)
 *
 * It echoes the request back: status 200; every request header copied, one `fields.append` at a
 * time, into a *new* `fields` for the response; `x-echo-method` (GET, POST, …) and `x-echo-path`
 * (the path with its query); the body, streamed back chunk by chunk as it arrives; then the
 * request's trailers (`incoming-body.finish` → `future-trailers`), copied into a new `fields`
 * and sent as the response's trailers (`outgoing-body.finish(body, some(trailers))`).
 *
 * If the response `fields` refuses a request header (a forbidden or hop-by-hop header the host
 * should have taken out of the request), it answers 500 `copying request header '<name>'
 * failed: <header-error>` instead of trapping; a refused trailer is reported on stderr and the
 * body is finished without trailers.
 *
 * Used by engine/test/zoo.test.ts, and by issue 14's header-rule and trailer tests: the WASIp2
 * "guest that copies headers" and "echo of a trailer".
 */
import { IncomingBody, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.10';
import { copyIntoFields, describeError, respondText, writeAll } from './lib.js';

const encoder = new TextEncoder();

function methodName(method) {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

/** Reads the request trailers: `future-trailers.get()` is option<result<result<option<trailers>, error-code>>>. */
function requestTrailers(body) {
  const future = IncomingBody.finish(body);
  const ready = future.subscribe();
  ready.block();
  ready[Symbol.dispose]();
  const got = future.get();
  future[Symbol.dispose]();
  if (got == null || got.tag !== 'ok') throw new Error('future-trailers.get: the trailers were not ready after the pollable said so');
  if (got.val.tag !== 'ok') throw new Error(`reading the request trailers failed: ${describeError(got.val.val)}`);
  return got.val.val ?? undefined;
}

export const incomingHandler = {
  handle(request, outparam) {
    let headers;
    try {
      headers = copyIntoFields(request.headers().entries(), 'request header');
      headers.append('x-echo-method', encoder.encode(methodName(request.method())));
      headers.append('x-echo-path', encoder.encode(request.pathWithQuery() ?? ''));
    } catch (error) {
      respondText(outparam, 500, describeError(error));
      return;
    }
    const response = new OutgoingResponse(headers);
    const outBody = response.body(); // before `set`: after it the host owns the response
    ResponseOutparam.set(outparam, { tag: 'ok', val: response });

    const inBody = request.consume();
    const input = inBody.stream();
    const output = outBody.write();
    for (;;) {
      let chunk;
      try {
        chunk = input.blockingRead(65536n);
      } catch (error) {
        if (describeError(error) === 'closed') break; // the end of the request body
        throw error;
      }
      writeAll(output, chunk);
    }
    // Each stream is a child of its body: drop it before finishing the body.
    input[Symbol.dispose]();
    output[Symbol.dispose]();

    const received = requestTrailers(inBody);
    let trailers;
    if (received) {
      try {
        trailers = copyIntoFields(received.entries(), 'request trailer');
      } catch (error) {
        console.error(describeError(error));
      }
    }
    OutgoingBody.finish(outBody, trailers);
  },
};
