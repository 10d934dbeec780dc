import type { EventBus } from '../events/event-bus.ts';
import type { FailureKind } from '../protocol/index.ts';
import type { PoolRequest } from './request.ts';

interface OpenResponse {
  request: PoolRequest;
  /** The head (or an error) went to the caller: from now on only the body can follow. */
  settled: boolean;
  bodyBytes: number;
}

/**
 * The responses of one instance that are not finished yet: each request is settled exactly once
 * (head or error), then its body streams until it ends or is cut short. Every outcome is also an
 * event. Kept apart from the worker's state machine, which decides *when*; this decides *how*.
 */
export class OpenResponses {
  readonly #bus: EventBus;
  readonly #instanceId: number;
  readonly #open = new Map<number, OpenResponse>();

  constructor(bus: EventBus, instanceId: number) {
    this.#bus = bus;
    this.#instanceId = instanceId;
  }

  add(request: PoolRequest): void {
    this.#open.set(request.id, { request, settled: false, bodyBytes: 0 });
  }

  has(requestId: number): boolean {
    return this.#open.has(requestId);
  }

  isSettled(requestId: number): boolean {
    return this.#open.get(requestId)?.settled ?? true;
  }

  respond(requestId: number, status: number, headers: Array<[string, Uint8Array]>): void {
    const entry = this.#open.get(requestId);
    if (!entry || entry.settled) return;
    entry.settled = true;
    entry.request.responder.respond(status, headers);
    this.#bus.emit({
      type: 'request.responded',
      requestId,
      instanceId: this.#instanceId,
      status,
      latencyMs: this.#bus.now() - entry.request.receivedAt,
    });
  }

  chunk(requestId: number, bytes: Uint8Array): void {
    const entry = this.#open.get(requestId);
    if (!entry?.settled) return;
    entry.bodyBytes += bytes.byteLength;
    entry.request.responder.chunk(bytes);
  }

  end(requestId: number): void {
    const entry = this.#open.get(requestId);
    if (!entry?.settled) return;
    this.#open.delete(requestId);
    entry.request.responder.end();
    this.#bus.emit({
      type: 'request.completed',
      requestId,
      instanceId: this.#instanceId,
      durationMs: this.#bus.now() - entry.request.receivedAt,
      bodyBytes: entry.bodyBytes,
    });
  }

  /** The body broke after the head went out. */
  abort(requestId: number, message: string): void {
    if (this.#open.get(requestId)?.settled) this.fail(requestId, 'guest-error', `response body cut short: ${message}`);
  }

  fail(requestId: number, kind: FailureKind, message: string): void {
    const entry = this.#open.get(requestId);
    if (!entry) return;
    this.#open.delete(requestId);
    reportFailure(this.#bus, entry.request, this.#instanceId, kind, message, entry.settled);
  }

  failAll(kind: FailureKind, message: string): void {
    for (const requestId of [...this.#open.keys()]) this.fail(requestId, kind, message);
  }
}

/** Settles a request with an error (a 5xx), or, once its head is out, cuts its body short; one event either way. */
export function reportFailure(
  bus: EventBus,
  request: PoolRequest,
  instanceId: number | null,
  kind: FailureKind,
  message: string,
  afterHead = false,
): void {
  if (afterHead) request.responder.abort(message);
  else request.responder.fail(kind, message);
  bus.emit({ type: 'request.failed', requestId: request.id, instanceId, kind, message, latencyMs: bus.now() - request.receivedAt });
}
