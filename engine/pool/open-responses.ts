import type { EventBus } from '../events/event-bus.ts';
import { boundMessage, type FailureKind } from '../../protocol/index.ts';
import { FlowControl, newWakeSignal, type ResponseFlowBuffers } from '../thread/response-flow.ts';
import type { PoolClock } from './clock.ts';
import { declaredContentLength } from './content-length.ts';
import { CLIENT_GONE_MESSAGE, type PoolRequest } from './request.ts';

interface OpenResponse {
  request: PoolRequest;
  /** The head (or an error) went to the caller: from now on only the body can follow. */
  settled: boolean;
  /** Body bytes passed to the caller so far. */
  bodyBytes: number;
  /** Body bytes the client's socket has taken (see `Responder.whenWritten`). */
  writtenBytes: number;
  /** The head's `content-length`, if it declared one: the body is whole at that many bytes. */
  declaredLength: number | null;
  /** Paces the guest's body to the client's socket, and tells the guest when the client left. */
  flow: FlowControl;
  /** An acknowledgement waits for the client's socket to drain. */
  awaitingDrain: boolean;
}

/**
 * The responses of one instance that are not finished yet: each request is settled exactly once
 * (head or error), then its body streams until it ends or is cut short. Every outcome is also an
 * event. Kept apart from the worker's state machine, which decides *when*; this decides *how*.
 *
 * Each response has a flow (thread/response-flow.ts): body bytes are acknowledged to the instance
 * thread as the client's socket takes them, so a guest can be at most a window ahead of its client;
 * when the client goes away the flow closes (the guest's writes fail) and the request is recorded
 * as `client-gone`, whatever the guest does next; unless every byte its `content-length` declared
 * was written to the client already, in which case it has its whole answer and leaving is no failure.
 */
export class OpenResponses {
  readonly #bus: EventBus;
  readonly #clock: PoolClock;
  readonly #instanceId: number;
  /** Called whenever a response stops being open (completed, failed or cut short). */
  readonly #onClosed: () => void;
  readonly #open = new Map<number, OpenResponse>();
  /**
   * Flows of responses completed when their client left with every declared byte, while the
   * guest's end was still on its way: kept open so that end arrives as usual, and closed at the
   * first byte past the declared length (an overrun nobody reads, which would otherwise wait for
   * acknowledgements forever).
   */
  readonly #completedEarly = new Map<number, FlowControl>();
  /** Shared by the flows of this instance's responses (see response-flow.ts). */
  readonly #wake = newWakeSignal();

  constructor(bus: EventBus, clock: PoolClock, instanceId: number, onClosed: () => void = () => {}) {
    this.#bus = bus;
    this.#clock = clock;
    this.#instanceId = instanceId;
    this.#onClosed = onClosed;
  }

  /** Responses a client still waits on (or reads): zero once every client was answered or left. */
  get size(): number {
    return this.#open.size;
  }

  add(request: PoolRequest): void {
    const entry: OpenResponse = {
      request,
      settled: false,
      bodyBytes: 0,
      writtenBytes: 0,
      declaredLength: null,
      flow: new FlowControl(this.#wake),
      awaitingDrain: false,
    };
    this.#open.set(request.id, entry);
    request.responder.onGone?.(() => this.#gone(request.id));
  }

  /** What the instance thread needs to pace this request's body (send it with the request). */
  flow(requestId: number): ResponseFlowBuffers | undefined {
    return this.#open.get(requestId)?.flow.buffers;
  }

  isSettled(requestId: number): boolean {
    return this.#open.get(requestId)?.settled ?? true;
  }

  respond(requestId: number, status: number, headers: Array<[string, Uint8Array]>): void {
    const entry = this.#open.get(requestId);
    if (!entry || entry.settled) return;
    entry.settled = true;
    entry.declaredLength = declaredContentLength(headers);
    entry.request.responder.respond(status, headers);
    this.#bus.emit({
      type: 'request.responded',
      requestId,
      instanceId: this.#instanceId,
      status,
      latencyMs: this.#clock.now() - entry.request.receivedAt,
    });
  }

  chunk(requestId: number, bytes: Uint8Array): void {
    const entry = this.#open.get(requestId);
    if (!entry) {
      this.#closeCompletedEarly(requestId);
      return;
    }
    if (!entry.settled) return;
    entry.bodyBytes += bytes.byteLength;
    entry.request.responder.chunk(bytes);
    this.#acknowledgeWhenWritten(entry);
  }

  /** Tells the thread how much the client's socket took, once it took everything written so far. */
  #acknowledgeWhenWritten(entry: OpenResponse): void {
    const whenWritten = entry.request.responder.whenWritten;
    if (!whenWritten) {
      entry.writtenBytes = entry.bodyBytes;
      entry.flow.acknowledge(entry.bodyBytes);
      return;
    }
    // One drain covers every chunk written before it.
    if (entry.awaitingDrain) return;
    entry.awaitingDrain = true;
    whenWritten.call(entry.request.responder, () => {
      entry.awaitingDrain = false;
      entry.writtenBytes = entry.bodyBytes;
      entry.flow.acknowledge(entry.bodyBytes);
    });
  }

  /**
   * The client left before the response was over. If it already had every byte the head's
   * `content-length` declared, the response is complete: the guest's end was merely still on its
   * way from the executor (a client closing right after a whole body, with `Connection: close`).
   * The flow stays open then, so the guest finishes its body as usual and the instance is reused.
   * Otherwise nothing more is sent, and the guest's writes fail.
   */
  #gone(requestId: number): void {
    const entry = this.#open.get(requestId);
    if (!entry) return;
    if (entry.settled && entry.declaredLength !== null && entry.writtenBytes >= entry.declaredLength) {
      this.#completedEarly.set(requestId, entry.flow);
      this.#complete(entry);
    } else {
      this.fail(requestId, 'client-gone', CLIENT_GONE_MESSAGE);
    }
  }

  #closeCompletedEarly(requestId: number): void {
    this.#completedEarly.get(requestId)?.close();
    this.#completedEarly.delete(requestId);
  }

  /** The body is complete; `trailers` are the guest's, if it sent any. */
  end(requestId: number, trailers?: Array<[string, Uint8Array]>): void {
    this.#closeCompletedEarly(requestId);
    const entry = this.#open.get(requestId);
    if (!entry?.settled) return;
    entry.flow.close();
    this.#complete(entry, trailers);
  }

  #complete(entry: OpenResponse, trailers?: Array<[string, Uint8Array]>): void {
    this.#open.delete(entry.request.id);
    if (trailers === undefined) entry.request.responder.end();
    else entry.request.responder.end(trailers);
    this.#bus.emit({
      type: 'request.completed',
      requestId: entry.request.id,
      instanceId: this.#instanceId,
      durationMs: this.#clock.now() - entry.request.receivedAt,
      bodyBytes: entry.bodyBytes,
    });
    this.#onClosed();
  }

  /** The body broke after the head went out. */
  abort(requestId: number, message: string): void {
    if (this.#open.get(requestId)?.settled) this.fail(requestId, 'guest-error', `response body cut short: ${message}`);
  }

  fail(requestId: number, kind: FailureKind, message: string): void {
    this.#closeCompletedEarly(requestId);
    const entry = this.#open.get(requestId);
    if (!entry) return;
    this.#open.delete(requestId);
    // The guest's next write fails (`closed`) instead of producing bytes nobody will read.
    entry.flow.close();
    reportFailure(this.#bus, this.#clock, entry.request, this.#instanceId, kind, message, entry.settled);
    this.#onClosed();
  }

  /** Fails every open response; those whose head is out get `afterHeadMessage` if given (a trap
   * after the head is not a guest that never set a response). */
  failAll(kind: FailureKind, message: string, afterHeadMessage = message): void {
    for (const requestId of [...this.#completedEarly.keys()]) this.#closeCompletedEarly(requestId);
    for (const [requestId, entry] of [...this.#open])
      this.fail(requestId, kind, entry.settled ? afterHeadMessage : message);
  }
}

/** Settles a request with an error (a 5xx), or, once its head is out, cuts its body short; one event either way. */
export function reportFailure(
  bus: EventBus,
  clock: PoolClock,
  request: PoolRequest,
  instanceId: number | null,
  kind: FailureKind,
  message: string,
  afterHead = false,
): void {
  message = boundMessage(message);
  if (afterHead) request.responder.abort(message);
  else request.responder.fail(kind, message);
  bus.emit({
    type: 'request.failed',
    requestId: request.id,
    instanceId,
    kind,
    message,
    latencyMs: clock.now() - request.receivedAt,
  });
}
