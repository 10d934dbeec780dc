/**
 * Flow control for one response body, shared between the main thread (which writes it to the
 * client's socket) and the instance thread (where the guest produces it), in shared memory so a
 * WASIp2 guest suspended in a blocking write wakes on `Atomics.waitAsync` without a message round trip.
 *
 * The instance thread may have at most `RESPONSE_WINDOW_BYTES` of a response that the client's
 * socket has not taken yet (held in the outbox, in transit, or buffered by Node). The main thread
 * acknowledges bytes as the socket takes them; when the client goes away it closes the flow, and
 * the guest's next write fails with `closed`, as in wasmtime.
 *
 * Layout: `state` holds two BigInt64 cells, bytes acknowledged so far and a closed flag; `wake` is
 * one Int32 per instance that is bumped and notified after every change of any of its responses'
 * flows, so a guest polling several streams waits on one address. Waiters read `wake` before they
 * look at the flow: a change after that read makes their `Atomics.waitAsync` resolve at once.
 */

import type { WriteWindow } from '../../base/http-exchange.ts';

/** Bytes of one response the instance may have ahead of the client's socket. 1 MiB: enough to
 * keep a fast client's socket busy, small enough that a thousand stalled clients cost 1 GiB. */
export const RESPONSE_WINDOW_BYTES = 1024 * 1024;

const ACKED = 0;
const CLOSED = 1;

/** What travels with a request to its instance thread (shared, not copied). */
export interface ResponseFlowBuffers {
  state: SharedArrayBuffer;
  wake: SharedArrayBuffer;
}

/** The wake signal of one instance: shared by the flows of all its responses. */
export function newWakeSignal(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** The main thread's side: says how much of the response the client's socket took, or that it left. */
export class FlowControl {
  readonly buffers: ResponseFlowBuffers;
  readonly #state: BigInt64Array;
  readonly #wake: Int32Array;

  constructor(wake: SharedArrayBuffer) {
    this.buffers = { state: new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT), wake };
    this.#state = new BigInt64Array(this.buffers.state);
    this.#wake = new Int32Array(wake);
  }

  /** The client's socket has taken `totalBytes` of the body so far (a running total). */
  acknowledge(totalBytes: number): void {
    if (Atomics.load(this.#state, CLOSED) !== 0n) return;
    Atomics.store(this.#state, ACKED, BigInt(totalBytes));
    this.#signal();
  }

  /** Nobody reads the response any more: the guest's writes fail from now on. Idempotent. */
  close(): void {
    if (Atomics.exchange(this.#state, CLOSED, 1n) !== 0n) return;
    this.#signal();
  }

  #signal(): void {
    Atomics.add(this.#wake, 0, 1);
    Atomics.notify(this.#wake, 0);
  }
}

/** The instance thread's side: counts what the guest sent and tells how much more it may send. */
export class ResponseWindow implements WriteWindow {
  readonly signal: Int32Array;
  readonly #state: BigInt64Array;
  #sent = 0;

  constructor(buffers: ResponseFlowBuffers) {
    this.#state = new BigInt64Array(buffers.state);
    this.signal = new Int32Array(buffers.wake);
  }

  /** Bytes that may be sent now (0 while the client is behind), or -1 once the client has gone. */
  available(): number {
    if (Atomics.load(this.#state, CLOSED) !== 0n) return -1;
    const unacknowledged = this.#sent - Number(Atomics.load(this.#state, ACKED));
    return Math.max(0, RESPONSE_WINDOW_BYTES - unacknowledged);
  }

  /** Counts bytes handed to the pool (called for every body chunk). */
  sent(bytes: number): void {
    this.#sent += bytes;
  }
}
