/**
 * zoo-qjs-p3-headers: a WASIp3 `wasi:http/handler@0.3.0` guest built with componentize-qjs
 * (QuickJS), the p3 "guest that copies headers".
 *
 * It answers 200 with every request header copied, one `fields.append` at a time, into a *new*
 * `fields` (unlike wasmtime's p3-http-echo test program, which hands the request's own headers
 * resource back), plus `x-echo-method` and `x-echo-path`; the request body read through the
 * guest and written back chunk by chunk; then the request's trailers, copied into a new `fields`,
 * as the response's trailers. When the body is through, it passes on to the host, through the
 * `consume-body` future, how sending the response went.
 *
 * If a request header is refused (a forbidden or hop-by-hop header the host should have taken
 * out), it answers 500 `copying request header '<name>' failed: <header-error>`; a refused trailer
 * ends the response with `internal-error` instead of trailers.
 *
 * Used by engine/test/zoo.test.ts, and by issue 14's header-rule and trailer tests for WASIp3.
 */
import { Request, Response } from 'wasi:http/types@0.3.0';
import { ascii, copyIntoFields, describe, methodName, textResponse } from './lib.js';

export const handler = {
  async handle(request) {
    let headers;
    try {
      headers = copyIntoFields(request.getHeaders().copyAll(), 'request header');
      headers.append('x-echo-method', ascii(methodName(request.getMethod())));
      headers.append('x-echo-path', ascii(request.getPathWithQuery() ?? ''));
    } catch (error) {
      return textResponse(500, describe(error));
    }
    // consume-body's future is how the guest reports back whether it handled the body.
    const bodyDone = wit.Future(wit.Future.RESULT_VOID_ERROR_CODE);
    const [requestBody, requestTrailers] = Request.consumeBody(request, bodyDone.readable);
    const body = wit.Stream(wit.Stream.U8);
    const trailers = wit.Future(wit.Future.RESULT_OPTION_OTHER_ERROR_CODE);
    const [response, transmitted] = Response.new(headers, body.readable, trailers.readable);
    // Body and trailers are written by a task that outlives `handle`: the host reads them after it has the response.
    (async () => {
      for await (const chunk of requestBody) await body.writable.writeAll(chunk);
      body.writable.drop();
      // result<option<trailers>, error-code>
      const received = await requestTrailers.read();
      let copied = { tag: 'ok', val: null };
      if (received.tag !== 'ok') copied = received;
      else if (received.val) {
        try {
          copied = { tag: 'ok', val: copyIntoFields(received.val.copyAll(), 'request trailer') };
        } catch (error) {
          copied = { tag: 'err', val: { tag: 'internal-error', val: describe(error) } };
        }
      }
      await trailers.writable.write(copied);
      await bodyDone.writable.write(await transmitted.read());
    })();
    return response;
  },
};
