/**
 * The wasi:http/types resources through which data flows *into* the guest: the incoming request
 * and its body, trailers, and (for the outgoing handler) incoming responses.
 *
 * Headers and trailers the host hands over are made as wasmtime's `FieldMap::new_immutable` makes
 * them (`withoutForbidden`, ../http-rules.ts): lowercased, without the forbidden headers, immutable.
 *
 * Trailers: `incoming-body.finish` turns the body into a `future-trailers`, which resolves to the
 * body's trailers (`some(ok(ok(some(trailers))))`), to none when the body had none, or to the
 * error the body ended with (wasmtime's `HostFutureTrailers`, p2/body.rs). An `IncomingBody` is
 * given its trailers when it is made: the list itself for a body that is already complete (the
 * front door buffers requests, so their trailers are known), or a `TrailersSource` for a body
 * still arriving (see there).
 */

import type { IncomingRequestInit } from '../../../base/http-exchange.ts';
import { withoutForbidden, type ReadonlyFieldList } from '../http-rules.ts';
import { Fields, type FieldList } from './fields.ts';
import type { HttpErrorCode } from './http-error.ts';
import { READY, type Pollable } from './poll.ts';
import { failUnit } from './result.ts';
import { InputStream } from './streams.ts';
import { UNSCOPED, type Waiter } from './wait.ts';

/** A `method` variant value. Standard methods are shared frozen objects (the glue only reads). */
export type Method = { tag: string; val?: string };
export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };

export const METHODS: ReadonlyMap<string, Method> = new Map(
  ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'].map((m): [string, Method] => [
    m.toUpperCase(),
    Object.freeze({ tag: m }),
  ]),
);
export const SCHEME_HTTP: Scheme = Object.freeze({ tag: 'HTTP' });
export const SCHEME_HTTPS: Scheme = Object.freeze({ tag: 'HTTPS' });

/** Methods are case-sensitive: only the exact standard spellings map to named cases. */
export function methodFromString(method: string): Method {
  return METHODS.get(method) ?? { tag: 'other', val: method };
}

export class IncomingRequest {
  private readonly init: IncomingRequestInit;
  private readonly headerList: FieldList;
  private readonly waiter: Waiter;
  private consumed = false;

  constructor(init: IncomingRequestInit, waiter: Waiter = UNSCOPED) {
    this.init = init;
    // The pool's list itself when it already qualifies (the common case): no copy per request.
    // Never mutated, since request headers are immutable.
    this.headerList = withoutForbidden(init.headers);
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
    const trailers = this.init.trailers;
    return new IncomingBody(
      this.init.body,
      this.waiter,
      trailers !== undefined && trailers.length > 0 ? trailers : null,
    );
  }
}

/** How a body's trailers turned out: `ok` with the trailers as received (null: there were none),
 * or `err` with the error the body ended with. */
export type TrailersOutcome = { tag: 'ok'; val: ReadonlyFieldList | null } | { tag: 'err'; val: HttpErrorCode };

/**
 * The trailers of a body that is still arriving (an upstream response read as it streams):
 * `outcome()` is undefined until the body has ended, and `subscribe()` is ready once it is not.
 * Pass the received list unfiltered: `future-trailers.get` applies `withoutForbidden`.
 */
export interface TrailersSource {
  subscribe(): Pollable;
  outcome(): TrailersOutcome | undefined;
  /** The guest dropped the `future-trailers`: what is left of the body is not wanted (wasmtime
   * drops the body with it, closing an upstream connection). */
  dropped?(): void;
}

/** What an `IncomingBody` is given for its trailers: none (null), the received list, or a source. */
export type BodyTrailers = ReadonlyFieldList | TrailersSource | null;

export class IncomingBody {
  private readonly data: Uint8Array;
  private readonly waiter: Waiter;
  private readonly trailers: BodyTrailers;
  private streamTaken = false;

  /** `trailers`: see `BodyTrailers` (additive; omitted, the body has none). */
  constructor(data: Uint8Array, waiter: Waiter = UNSCOPED, trailers: BodyTrailers = null) {
    this.data = data;
    this.waiter = waiter;
    this.trailers = trailers;
  }

  stream(): InputStream {
    if (this.streamTaken) failUnit();
    this.streamTaken = true;
    return new InputStream(this.data, this.waiter);
  }

  /** The body's trailers, whether or not its stream was read to the end (as in wasmtime, which
   * reads what is left of the body to reach them). */
  static finish(body: IncomingBody): FutureTrailers {
    return new FutureTrailers(body.trailers);
  }
}

/** `some(ok(ok(none)))`: trailers arrived, and there were none. */
const NO_TRAILERS = Object.freeze({ tag: 'ok', val: Object.freeze({ tag: 'ok', val: undefined }) });
/** `some(err(()))`: the value was already taken. */
const ALREADY_TAKEN = Object.freeze({ tag: 'err', val: undefined });

type TrailersValue =
  | typeof NO_TRAILERS
  | typeof ALREADY_TAKEN
  | { tag: 'ok'; val: { tag: 'ok'; val: Fields } | { tag: 'err'; val: HttpErrorCode } };

function isSource(trailers: BodyTrailers): trailers is TrailersSource {
  return trailers !== null && !Array.isArray(trailers);
}

export class FutureTrailers {
  private readonly source: BodyTrailers;
  private taken = false;

  constructor(source: BodyTrailers = null) {
    this.source = source;
  }

  subscribe(): Pollable {
    return isSource(this.source) ? this.source.subscribe() : READY;
  }

  /** `option<result<result<option<trailers>, error-code>>>`: none until the body has ended, then
   * its outcome once, then `some(err(()))`. Trailers come as immutable fields, made like
   * wasmtime's (`FieldMap::new_immutable` in `HostFutureTrailers::get`, p2/types_impl.rs). */
  get(): TrailersValue | undefined {
    if (this.taken) return ALREADY_TAKEN;
    const source = this.source;
    let outcome: TrailersOutcome;
    if (isSource(source)) {
      const ready = source.outcome();
      if (ready === undefined) return undefined;
      outcome = ready;
    } else {
      outcome = { tag: 'ok', val: source };
    }
    this.taken = true;
    if (outcome.tag === 'err') return { tag: 'ok', val: outcome };
    if (outcome.val === null) return NO_TRAILERS;
    return { tag: 'ok', val: { tag: 'ok', val: Fields.view(withoutForbidden(outcome.val)) } };
  }

  /** Called by the glue when the guest drops its handle. */
  [Symbol.dispose](): void {
    if (isSource(this.source)) this.source.dropped?.();
  }
}

export class IncomingResponse {
  private readonly statusCode: number;
  private readonly headerList: FieldList;
  private body: Uint8Array | null;
  private readonly trailers: BodyTrailers;

  /** `headers` and `trailers` as received: the guest sees them through `withoutForbidden`. */
  constructor(status: number, headers: ReadonlyFieldList, body: Uint8Array, trailers: BodyTrailers = null) {
    this.statusCode = status;
    this.headerList = withoutForbidden(headers);
    this.body = body;
    this.trailers = trailers;
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
    return new IncomingBody(body, UNSCOPED, this.trailers);
  }
}

// `future-incoming-response`, and the streaming response of an upstream (a subclass of
// `IncomingResponse`), are in outgoing-response.ts.
