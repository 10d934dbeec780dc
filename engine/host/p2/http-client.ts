/**
 * The client side of wasi:http/types: `outgoing-request` and `request-options`, as the guest
 * builds them before `outgoing-handler.handle` sends the request (outgoing-handler.ts). Setters
 * validate like wasmtime (which parses with the `http` crate, and `parse_authority` for the
 * authority) and answer `err(())` for values it would reject.
 */

import { parseAuthority, type TargetInput } from '../outgoing/target.ts';
import { Fields, TOKEN, type FieldList } from './fields.ts';
import { BodyChannel, declaredContentLength, OutgoingBody } from './http-body.ts';
import { methodFromString, type Method, type Scheme } from './http-incoming.ts';
import { failUnit } from './result.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** Printable ASCII without space, `#` (fragments are not sent) or other delimiters invalid here. */
const PATH_WITH_QUERY = /^[\x21-\x22\x24-\x7e]*$/;
/** host[:port], userinfo and brackets for IPv6 allowed; no path/query/fragment delimiters. */
const AUTHORITY = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*$/;

const GET = methodFromString('GET');

export class OutgoingRequest {
  private methodValue: Method = GET;
  private path: string | undefined = undefined;
  private schemeValue: Scheme | undefined = undefined;
  private authorityValue: string | undefined = undefined;
  readonly headerList: FieldList;
  private channel: BodyChannel | null = null;
  private readonly waiter: Waiter;

  /** The guest constructs it through its host's constructor (see http-types.ts). */
  constructor(headers: Fields, waiter: Waiter = UNSCOPED) {
    this.headerList = headers.take();
    this.waiter = waiter;
  }

  body(): OutgoingBody {
    if (this.channel !== null) failUnit();
    const channel = new BodyChannel('request', declaredContentLength(this.headerList), this.waiter);
    this.channel = channel;
    return new OutgoingBody(channel);
  }

  method(): Method {
    return this.methodValue;
  }

  setMethod(method: Method): void {
    if (method.tag === 'other' && !TOKEN.test(method.val ?? '')) failUnit();
    this.methodValue = method;
  }

  pathWithQuery(): string | undefined {
    return this.path;
  }

  setPathWithQuery(path: string | undefined): void {
    if (path !== undefined && !PATH_WITH_QUERY.test(path)) failUnit();
    this.path = path;
  }

  scheme(): Scheme | undefined {
    return this.schemeValue;
  }

  setScheme(scheme: Scheme | undefined): void {
    if (scheme !== undefined && scheme.tag === 'other' && !SCHEME.test(scheme.val)) failUnit();
    this.schemeValue = scheme;
  }

  authority(): string | undefined {
    return this.authorityValue;
  }

  setAuthority(authority: string | undefined): void {
    if (authority !== undefined && (!AUTHORITY.test(authority) || parseAuthority(authority) === null)) failUnit();
    this.authorityValue = authority;
  }

  headers(): Fields {
    return Fields.view(this.headerList);
  }

  /** Where the guest wants it sent, for `outgoing-handler.handle`. */
  targetInput(): TargetInput {
    return {
      method: this.methodValue,
      scheme: this.schemeValue,
      authority: this.authorityValue,
      pathWithQuery: this.path,
    };
  }

  /** The body the guest took with `body()`, or null if it took none (the request has no body). */
  bodyChannel(): BodyChannel | null {
    return this.channel;
  }
}

/** wasi:http/types.request-options: durations in nanoseconds; unset, wasmtime's default (600 s). */
export class RequestOptions {
  private connect: bigint | undefined = undefined;
  private firstByte: bigint | undefined = undefined;
  private betweenBytes: bigint | undefined = undefined;

  connectTimeout(): bigint | undefined {
    return this.connect;
  }

  setConnectTimeout(duration: bigint | undefined): void {
    this.connect = duration;
  }

  firstByteTimeout(): bigint | undefined {
    return this.firstByte;
  }

  setFirstByteTimeout(duration: bigint | undefined): void {
    this.firstByte = duration;
  }

  betweenBytesTimeout(): bigint | undefined {
    return this.betweenBytes;
  }

  setBetweenBytesTimeout(duration: bigint | undefined): void {
    this.betweenBytes = duration;
  }

  /** What `outgoing-handler.handle` applies (see ../outgoing/client.ts `timeoutsFrom`). */
  timeouts(): { connect: bigint | undefined; firstByte: bigint | undefined; betweenBytes: bigint | undefined } {
    return { connect: this.connect, firstByte: this.firstByte, betweenBytes: this.betweenBytes };
  }
}
