/**
 * wasi:http/outgoing-handler: `handle(request, options)` sends the guest's request with the
 * instance's `OutgoingClient` (../outgoing/client.ts) and returns a `future-incoming-response`
 * over it (outgoing-response.ts), as wasmtime's `outgoing_handler::handle`
 * (crates/wasi-http/src/p2/http_impl.rs) does:
 * - refused at once, as `err(error-code)`: `HTTP-request-denied` without `--allow-http`;
 *   `HTTP-request-method-invalid`, `HTTP-protocol-error` (a scheme other than http/https) and
 *   `HTTP-request-URI-invalid` (no authority, a bad port) as wasmtime; `connection-limit-reached`
 *   when the instance already has its maximum of requests in flight;
 * - everything else (DNS, connect, TLS, timeouts, the upstream's answer) arrives through the future;
 * - the request's body, if the guest took one, streams to the connection as the guest writes it,
 *   before or after `handle`; `request-options` set the three timeouts (600 s each by default).
 */

import { timeoutsFrom, type OutgoingClient } from '../outgoing/client.ts';
import type { OutgoingRequest, RequestOptions } from './http-client.ts';
import { CLOSED_BODY_SINK, FutureIncomingResponse, requestBodySink } from './outgoing-response.ts';
import { fail } from './result.ts';
import type { Waiter } from './wait.ts';

export function createOutgoingHandlerImports(client: OutgoingClient, waiter: Waiter): Record<string, unknown> {
  return {
    handle(request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse {
      const channel = request.bodyChannel();
      const target = client.resolve(request.targetInput());
      const exchange =
        'error' in target
          ? target
          : client.start(target, request.headerList, channel !== null, timeoutsFrom(options?.timeouts()));
      if ('error' in exchange) {
        // The request is gone: writes to its body report `closed`, as in wasmtime.
        channel?.bind(CLOSED_BODY_SINK);
        fail(exchange.error);
      }
      if (channel !== null) channel.bind(requestBodySink(exchange));
      return new FutureIncomingResponse(exchange, waiter);
    },
  };
}
