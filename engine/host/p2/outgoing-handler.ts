/**
 * wasi:http/outgoing-handler. Denied unless the host allows outgoing HTTP; even then nothing is
 * sent yet: a synchronous in-thread client is future work, so the call fails with a clear
 * `internal-error` rather than pretending.
 */

import type { HttpErrorCode } from './http-error.ts';
import type { OutgoingRequest, RequestOptions } from './http-client.ts';
import { fail } from './result.ts';

const DENIED: HttpErrorCode = Object.freeze({ tag: 'HTTP-request-denied' });
const NOT_SUPPORTED: HttpErrorCode = Object.freeze({
  tag: 'internal-error',
  val: 'outgoing HTTP is not supported yet by the Poolscope host',
});

export function createOutgoingHandlerImports(allowOutgoingHttp: boolean): Record<string, unknown> {
  return {
    handle(_request: OutgoingRequest, _options: RequestOptions | undefined): never {
      fail(allowOutgoingHttp ? NOT_SUPPORTED : DENIED);
    },
  };
}
