/**
 * The client side of wasi:http/types: `outgoing-request` and `request-options`. These only need
 * to be buildable and inspectable by the guest, since the outgoing handler never sends anything
 * (see outgoing-handler.ts). Setters validate like wasmtime (which parses with the `http` crate)
 * and answer `err(())` for values it would reject.
 */

import { Fields, TOKEN, type FieldList } from './fields.ts';
import { BodyChannel, declaredContentLength, OutgoingBody } from './http-body.ts';
import { METHODS, type Method, type Scheme } from './http-incoming.ts';
import { failUnit } from './result.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** Printable ASCII without space, `#` (fragments are not sent) or other delimiters invalid here. */
const PATH_WITH_QUERY = /^[\x21-\x22\x24-\x7e]*$/;
/** host[:port], userinfo and brackets for IPv6 allowed; no path/query/fragment delimiters. */
const AUTHORITY = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*$/;

const GET = METHODS.get('GET') as Method;

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
    if (authority !== undefined && !AUTHORITY.test(authority)) failUnit();
    this.authorityValue = authority;
  }

  headers(): Fields {
    return Fields.view(this.headerList);
  }
}

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
}
