/**
 * The response path of wasi:http/types: `outgoing-response` and `response-outparam`.
 *
 * `response-outparam.set(ok(response))` sends the head to the sink and binds the response's body
 * (see http-body.ts), so the sink sees head → chunks → end | abort whatever order the guest
 * used; `set(err(code))` reports the error instead. The outparam is single-use: a second `set`
 * traps (in the component model its handle is consumed, so a conforming guest cannot do it).
 */

import type { ResponseSink } from '../../../base/http-exchange.ts';
import { Fields, type FieldList } from './fields.ts';
import { BodyChannel, declaredContentLength, OutgoingBody } from './http-body.ts';
import { describeErrorCode, type HttpErrorCode } from './http-error.ts';
import { fail, failUnit, HostTrap } from './result.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

export class OutgoingResponse {
  private status = 200;
  private readonly headerList: FieldList;
  private channel: BodyChannel | null = null;
  private sent = false;
  private readonly waiter: Waiter;

  /** Takes ownership of `headers` (a view, e.g. a request's headers, is copied). The guest
   * constructs it through its host's constructor (see http-types.ts), which passes `waiter`. */
  constructor(headers: Fields, waiter: Waiter = UNSCOPED) {
    this.headerList = headers.take();
    this.waiter = waiter;
  }

  statusCode(): number {
    return this.status;
  }

  /** Any three-digit code, like wasmtime (`http::StatusCode` accepts 100–999). */
  setStatusCode(code: number): void {
    if (!Number.isInteger(code) || code < 100 || code > 999) failUnit();
    this.status = code;
  }

  /** An immutable view of the response headers (wasmtime hands out a read-only child too). */
  headers(): Fields {
    return Fields.view(this.headerList);
  }

  body(): OutgoingBody {
    if (this.channel !== null) failUnit();
    const channel = new BodyChannel('response', declaredContentLength(this.headerList), this.waiter);
    this.channel = channel;
    return new OutgoingBody(channel);
  }

  /** Hands the response to the sink: head, then whatever the body has done so far. */
  send(sink: ResponseSink): void {
    if (this.sent) throw new HostTrap('outgoing-response was already sent');
    this.sent = true;
    sink.head(this.status, this.headerList);
    const channel = this.channel;
    // No body requested: the response has an empty body (as in wasmtime).
    if (channel === null) sink.end();
    else channel.bind(sink);
  }
}

export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: HttpErrorCode };

export class ResponseOutparam {
  private sink: ResponseSink | null;

  constructor(sink: ResponseSink) {
    this.sink = sink;
  }

  static set(param: ResponseOutparam, response: ResponseResult): void {
    const sink = param.sink;
    if (sink === null) throw new HostTrap('response-outparam.set called more than once');
    param.sink = null;
    if (response.tag === 'ok') response.val.send(sink);
    else sink.error(describeErrorCode(response.val));
  }

  /** @unstable(informational-outbound-responses): not offered by our sink. */
  sendInformational(_status: number, _headers: Fields): never {
    fail({ tag: 'internal-error', val: 'informational responses are not supported by the Poolscope host' });
  }
}
