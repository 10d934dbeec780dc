/**
 * One instance's outgoing HTTP: whether it is allowed (`--allow-http`), the requests it has open
 * (at most `maxConcurrentRequests`, each counted until its guest has let go of it: see
 * `OUTGOING_LIMITS`), and the record of each one for whoever listens (the hosted instance, see
 * thread/hosted-instance.ts), its texts bounded (`RECORD_TEXT_MAX`). The WASIp2 and WASIp3 hosts
 * share it: a p3 instance's p2 imports and its p3 `client.send` go through the same one.
 *
 * Both worlds call it the same way: `resolve` the guest's method/scheme/authority/path (refusals
 * are recorded and returned as the error-code the guest gets at once), then `start` the exchange.
 */

import { CONNECTION_LIMIT_REACHED, HTTP_REQUEST_DENIED } from './error-codes.ts';
import { OutgoingExchange, type ExchangeInit } from './exchange.ts';
import { describeUrl, methodName, resolveTarget, schemeName, type Target, type TargetInput } from './target.ts';
import {
  boundRecord,
  boundRecordText,
  DEFAULT_TIMEOUT_MS,
  OUTGOING_LIMITS,
  type ErrorCode,
  type OutgoingLimits,
  type OutgoingRecord,
  type OutgoingRecordListener,
  type OutgoingTimeouts,
} from './types.ts';

export interface OutgoingClientOptions {
  /** False: every request fails with `HTTP-request-denied` (and is recorded). */
  allow: boolean;
  /** Called once per outgoing request, when it is over (see `OutgoingRecord`; texts bounded). */
  onRecord?: OutgoingRecordListener | undefined;
  /** Aborted when the instance goes away: every request in flight is let go (its connection closed). */
  signal?: AbortSignal | undefined;
  /** Other bounds than `OUTGOING_LIMITS` (tests). */
  limits?: Partial<OutgoingLimits> | undefined;
  /** Extra TLS options for https requests (tests that trust their own CA). */
  tls?: ExchangeInit['tls'];
}

/** `request-options` as both worlds give them: nanoseconds, or undefined for the default. */
export interface TimeoutOptions {
  connect?: bigint | number | undefined | null;
  firstByte?: bigint | number | undefined | null;
  betweenBytes?: bigint | number | undefined | null;
}

export class OutgoingClient {
  readonly allowed: boolean;
  readonly #onRecord: OutgoingRecordListener | undefined;
  readonly #limits: OutgoingLimits;
  readonly #tls: ExchangeInit['tls'];
  readonly #active = new Set<OutgoingExchange>();
  #disposed = false;

  constructor(options: OutgoingClientOptions) {
    this.allowed = options.allow;
    this.#onRecord = options.onRecord;
    this.#limits = { ...OUTGOING_LIMITS, ...options.limits };
    this.#tls = options.tls;
    const signal = options.signal;
    if (signal?.aborted) this.#disposed = true;
    signal?.addEventListener('abort', () => this.dispose(), { once: true });
  }

  /**
   * Whether the guest may send this request, and where it goes. On refusal (outgoing HTTP denied,
   * or an invalid method/scheme/URI) the request is recorded as failed and the error-code the
   * guest gets is returned.
   */
  resolve(input: TargetInput): Target | { error: ErrorCode } {
    if (!this.allowed)
      return this.#refuse(
        input,
        HTTP_REQUEST_DENIED,
        (url) => `outgoing HTTP is denied (start with --allow-http to allow it): ${url}`,
      );
    const target = resolveTarget(input);
    if ('error' in target) return this.#refuse(input, target.error, (url) => url);
    return target;
  }

  /** Sends the request, or refuses it with `connection-limit-reached` when the instance already has
   * `maxConcurrentRequests` open. */
  start(
    target: Target,
    headers: ExchangeInit['headers'],
    hasBody: boolean,
    timeouts: OutgoingTimeouts,
  ): OutgoingExchange | { error: ErrorCode } {
    if (this.#disposed) return this.#refuseTarget(target, CONNECTION_LIMIT_REACHED, 'the instance is going away');
    if (this.#active.size >= this.#limits.maxConcurrentRequests) {
      const max = this.#limits.maxConcurrentRequests;
      return this.#refuseTarget(
        target,
        CONNECTION_LIMIT_REACHED,
        `the instance already has ${max} outgoing requests open (in flight, or with a response its guest has not let go of)`,
      );
    }
    let exchange: OutgoingExchange | null = null;
    let releasedAtOnce = false;
    exchange = new OutgoingExchange(
      { target, headers, hasBody, timeouts, limits: this.#limits, tls: this.#tls },
      (record) => this.#report(record),
      () => {
        if (exchange === null) releasedAtOnce = true;
        else this.#active.delete(exchange);
      },
    );
    if (!releasedAtOnce) this.#active.add(exchange);
    return exchange;
  }

  /** Requests open: in flight, or over with something their guest has not let go of (tests,
   * diagnostics). */
  get activeCount(): number {
    return this.#active.size;
  }

  /** Lets go of every request in flight; later ones are refused. */
  dispose(): void {
    this.#disposed = true;
    for (const exchange of [...this.#active]) exchange.cancel();
    this.#active.clear();
  }

  /** `detail` is given the URL as the guest asked for it, made of bounded parts: a refused
   * request may carry a path of any length. */
  #refuse(input: TargetInput, code: ErrorCode, detail: (url: string) => string): { error: ErrorCode } {
    const bounded: TargetInput = {
      method: input.method,
      scheme: input.scheme,
      authority:
        input.authority === undefined || input.authority === null ? input.authority : boundRecordText(input.authority),
      pathWithQuery:
        input.pathWithQuery === undefined || input.pathWithQuery === null
          ? input.pathWithQuery
          : boundRecordText(input.pathWithQuery),
    };
    this.#report({
      method: methodName(input.method),
      scheme: schemeName(input.scheme),
      authority: bounded.authority ?? '',
      path: bounded.pathWithQuery || '/',
      status: null,
      durationMs: 0,
      outcome: 'failed',
      error: { tag: code.tag, detail: detail(describeUrl(bounded)) },
      requestBytes: 0,
      responseBytes: 0,
    });
    return { error: code };
  }

  #refuseTarget(target: Target, code: ErrorCode, detail: string): { error: ErrorCode } {
    this.#report({
      method: target.method,
      scheme: target.scheme,
      authority: target.authority,
      path: target.path,
      status: null,
      durationMs: 0,
      outcome: 'failed',
      error: { tag: code.tag, detail },
      requestBytes: 0,
      responseBytes: 0,
    });
    return { error: code };
  }

  #report(record: OutgoingRecord): void {
    if (this.#onRecord === undefined) return;
    try {
      this.#onRecord(boundRecord(record));
    } catch {
      // A listener's failure is not the guest's request's.
    }
  }
}

/** `request-options` timeouts in milliseconds, wasmtime's default (600 s) for each one not set. */
export function timeoutsFrom(options: TimeoutOptions | null | undefined): OutgoingTimeouts {
  return {
    connectMs: toMs(options?.connect),
    firstByteMs: toMs(options?.firstByte),
    betweenBytesMs: toMs(options?.betweenBytes),
  };
}

function toMs(ns: bigint | number | undefined | null): number {
  if (ns === undefined || ns === null) return DEFAULT_TIMEOUT_MS;
  return Number(ns) / 1e6;
}
