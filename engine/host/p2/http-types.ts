/** The `wasi:http/types` import object, assembled from the modules that implement it. */

import { Fields } from './fields.ts';
import { OutgoingBody } from './http-body.ts';
import { OutgoingRequest, RequestOptions } from './http-client.ts';
import { httpErrorCode } from './http-error.ts';
import {
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
} from './http-incoming.ts';
import { OutgoingResponse, ResponseOutparam } from './http-response.ts';

export const httpTypesImports = {
  Fields,
  IncomingRequest,
  IncomingBody,
  FutureTrailers,
  OutgoingResponse,
  OutgoingBody,
  ResponseOutparam,
  OutgoingRequest,
  RequestOptions,
  FutureIncomingResponse,
  IncomingResponse,
  httpErrorCode,
};
