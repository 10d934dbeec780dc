/** The `wasi:http/types` import object, assembled from the modules that implement it. */

import { Fields } from './fields.ts';
import { OutgoingBody } from './http-body.ts';
import { OutgoingRequest, RequestOptions } from './http-client.ts';
import { httpErrorCode } from './http-error.ts';
import { FutureTrailers, IncomingBody, IncomingRequest, IncomingResponse } from './http-incoming.ts';
import { FutureIncomingResponse } from './outgoing-response.ts';
import { OutgoingResponse, ResponseOutparam } from './http-response.ts';
import type { Waiter } from './wait.ts';

/**
 * Per host. The guest builds outgoing responses and requests itself, and their bodies can wait;
 * so it gets constructors bound to the host's waiter. They share the class's prototype: the
 * glue's `instanceof` checks and `Object.create(X.prototype)` work unchanged, and every instance
 * keeps one shape whichever host made it.
 */
export function createHttpTypesImports(waiter: Waiter): Record<string, unknown> {
  return {
    Fields,
    IncomingRequest,
    IncomingBody,
    FutureTrailers,
    OutgoingResponse: withWaiter(OutgoingResponse, waiter),
    OutgoingBody,
    ResponseOutparam,
    OutgoingRequest: withWaiter(OutgoingRequest, waiter),
    RequestOptions,
    FutureIncomingResponse,
    IncomingResponse,
    httpErrorCode,
  };
}

/** `new Bound(headers)` is `new Class(headers, waiter)`; `Bound.prototype` is `Class.prototype`. */
function withWaiter<T extends object>(
  Class: new (headers: Fields, waiter: Waiter) => T,
  waiter: Waiter,
): new (
  headers: Fields,
) => T {
  // A plain function, not a subclass: `new` returns the object it returns.
  function Bound(headers: Fields): T {
    return new Class(headers, waiter);
  }
  Bound.prototype = Class.prototype;
  // TypeScript cannot type a plain function as newable; `new Bound(headers)` returns the T it builds.
  return Bound as unknown as new (
    headers: Fields,
  ) => T;
}
