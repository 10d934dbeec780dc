/**
 * The wasi:http/types resources through which data flows *into* the guest: the incoming request
 * and its body, trailers, and (for the outgoing handler) incoming responses. Bodies are fully
 * buffered, so every future here is ready at once.
 */

import type { IncomingRequestInit } from './api.ts';
import { Fields, isForbidden, type FieldList } from './fields.ts';
import type { HttpErrorCode } from './http-error.ts';
import { READY, type Pollable } from './poll.ts';
import { failUnit } from './result.ts';
import { InputStream } from './streams.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

/** A `method` variant value. Standard methods are shared frozen objects (the glue only reads). */
export type Method = { tag: string; val?: string };
export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };

export const METHODS: ReadonlyMap<string, Method> = new Map(
  ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'].map(
    (m): [string, Method] => [m.toUpperCase(), Object.freeze({ tag: m })],
  ),
);
export const SCHEME_HTTP: Scheme = Object.freeze({ tag: 'HTTP' });
export const SCHEME_HTTPS: Scheme = Object.freeze({ tag: 'HTTPS' });

/** Methods are case-sensitive: only the exact standard spellings map to named cases. */
export function methodFromString(method: string): Method {
  return METHODS.get(method) ?? { tag: 'other', val: method };
}

const UPPERCASE = /[A-Z]/;

/**
 * The request's header list as the guest sees it: lowercased, without the forbidden headers
 * (like wasmtime, which strips them from incoming messages). The pool's list is used as is when
 * it already qualifies (the common case: Node lowercases names), so no copy is made per request;
 * it is never mutated, since request headers are immutable.
 */
export function guestHeaderList(headers: IncomingRequestInit['headers']): FieldList {
  for (let i = 0; i < headers.length; i++) {
    const name = (headers[i] as readonly [string, Uint8Array])[0];
    if (UPPERCASE.test(name) || isForbidden(name)) return filteredHeaderList(headers);
  }
  return headers as FieldList;
}

function filteredHeaderList(headers: IncomingRequestInit['headers']): FieldList {
  const list: FieldList = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (!isForbidden(lower)) list.push([lower, value]);
  }
  return list;
}

export class IncomingRequest {
  private readonly init: IncomingRequestInit;
  private readonly headerList: FieldList;
  private readonly waiter: Waiter;
  private consumed = false;

  constructor(init: IncomingRequestInit, waiter: Waiter = UNSCOPED) {
    this.init = init;
    this.headerList = guestHeaderList(init.headers);
    this.waiter = waiter;
  }

  method(): Method {
    return methodFromString(this.init.method);
  }

  pathWithQuery(): string {
    return this.init.pathWithQuery;
  }

  scheme(): Scheme {
    return this.init.scheme === 'https' ? SCHEME_HTTPS : SCHEME_HTTP;
  }

  authority(): string {
    return this.init.authority;
  }

  /** A fresh immutable view per call: each is its own handle in the guest. */
  headers(): Fields {
    return Fields.view(this.headerList);
  }

  consume(): IncomingBody {
    if (this.consumed) failUnit();
    this.consumed = true;
    return new IncomingBody(this.init.body, this.waiter);
  }
}

export class IncomingBody {
  private readonly data: Uint8Array;
  private readonly waiter: Waiter;
  private streamTaken = false;

  constructor(data: Uint8Array, waiter: Waiter = UNSCOPED) {
    this.data = data;
    this.waiter = waiter;
  }

  stream(): InputStream {
    if (this.streamTaken) failUnit();
    this.streamTaken = true;
    return new InputStream(this.data, this.waiter);
  }

  /** Our bodies never carry trailers: the future is ready with `none`. */
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

/** `some(ok(ok(none)))`: trailers arrived, and there were none. */
const NO_TRAILERS = Object.freeze({ tag: 'ok', val: Object.freeze({ tag: 'ok', val: undefined }) });
/** `some(err(()))`: the value was already taken. */
const ALREADY_TAKEN = Object.freeze({ tag: 'err', val: undefined });

export class FutureTrailers {
  private taken = false;

  subscribe(): Pollable {
    return READY;
  }

  get(): typeof NO_TRAILERS | typeof ALREADY_TAKEN {
    if (this.taken) return ALREADY_TAKEN;
    this.taken = true;
    return NO_TRAILERS;
  }
}

export class IncomingResponse {
  private readonly statusCode: number;
  private readonly headerList: FieldList;
  private body: Uint8Array | null;

  constructor(status: number, headers: FieldList, body: Uint8Array) {
    this.statusCode = status;
    this.headerList = headers;
    this.body = body;
  }

  status(): number {
    return this.statusCode;
  }

  headers(): Fields {
    return Fields.view(this.headerList);
  }

  consume(): IncomingBody {
    const body = this.body;
    if (body === null) failUnit();
    this.body = null;
    return new IncomingBody(body);
  }
}

export type IncomingResponseResult =
  | { tag: 'ok'; val: IncomingResponse }
  | { tag: 'err'; val: HttpErrorCode };

/** The result of an outgoing request, already settled when created. */
export class FutureIncomingResponse {
  private result: IncomingResponseResult | null;

  constructor(result: IncomingResponseResult) {
    this.result = result;
  }

  subscribe(): Pollable {
    return READY;
  }

  /** `some(ok(result))` once, then `some(err(()))`. */
  get(): { tag: 'ok'; val: IncomingResponseResult } | typeof ALREADY_TAKEN {
    const result = this.result;
    if (result === null) return ALREADY_TAKEN;
    this.result = null;
    return { tag: 'ok', val: result };
  }
}
