/**
 * One guest instance inside an executor thread: instantiates it, runs its requests, and reports
 * through its own `Outbox`, so one instance's held messages never wait for another's.
 *
 * How it ends: the pool asks it to `dispose` (a clean exit, or a kill after setting its interrupt
 * cell, which makes a spinning guest throw at its next fuel check). Disposal aborts the host's
 * `signal`, so a WASIp2 guest suspended in a blocking call (JSPI) unwinds instead of waiting on.
 * A trap drops the guest at once; the pool's `dispose` then only confirms.
 */
import { performance } from 'node:perf_hooks';
import type { OutgoingRecord } from '../host/outgoing/types.ts';
import { boundedCall } from '../../protocol/outgoing.ts';
import type { IncomingRequestInit, ResponseSink } from '../../base/http-exchange.ts';
import type { GuestInstance } from './guest-instance.ts';
import { LineBuffer } from './line-buffer.ts';
import type { ExecutorData, FromInstance } from './messages.ts';
import { Outbox } from './outbox.ts';
import { instantiateP2 } from './p2-instance.ts';
import { instantiateP3 } from './p3-instance.ts';
import { describeTrap } from './p3-http.ts';
import { RequestSpans } from './request-spans.ts';
import { ResponseWindow, type ResponseFlowBuffers } from './response-flow.ts';

export class HostedInstance {
  readonly #data: ExecutorData;
  readonly #outbox: Outbox;
  readonly #interrupt: Int32Array;
  readonly #abort = new AbortController();
  #guest: GuestInstance | undefined;
  #outputs: { stdout: LineBuffer; stderr: LineBuffer } | undefined;
  #disposed = false;
  /** The pool's id for this instance (its guest's INSTANCE_ID), for the lines the host writes. */
  #instanceId = '?';
  #deniedReported = false;
  /** When each request was in flight, to tell which one made an outgoing request. */
  readonly #spans = new RequestSpans();

  constructor(data: ExecutorData, interrupt: SharedArrayBuffer, post: (batch: FromInstance[]) => void) {
    this.#data = data;
    this.#interrupt = new Int32Array(interrupt);
    this.#outbox = new Outbox(post);
  }

  async instantiate(env: Array<[string, string]>): Promise<void> {
    const started = performance.now();
    const lines = {
      stdout: new LineBuffer((line) => this.#post({ type: 'output', stream: 'stdout', line })),
      stderr: new LineBuffer((line) => this.#post({ type: 'output', stream: 'stderr', line })),
    };
    this.#outputs = lines;
    this.#instanceId = env.find(([name]) => name === 'INSTANCE_ID')?.[1] ?? '?';
    try {
      const options = {
        data: this.#data,
        env,
        output: { write: (stream: 'stdout' | 'stderr', bytes: Uint8Array) => lines[stream].write(bytes) },
        beforeBlock: () => this.#outbox.flush(),
        signal: this.#abort.signal,
        interrupt: this.#interrupt,
        onOutgoingRequest: (record: OutgoingRecord) => this.#onOutgoingRequest(record),
      };
      const guest = this.#data.world === 'wasip2' ? await instantiateP2(options) : await instantiateP3(options);
      if (this.#disposed) {
        guest.dispose?.();
        return;
      }
      this.#guest = guest;
      guest.watchTasks?.((pending) => this.#post({ type: 'tasks', pending }));
      guest.watchReady?.((ready) => this.#post({ type: 'ready', ready }));
      guest.onTrap?.((error) => {
        this.#drop();
        this.#post({ type: 'trapped', requestId: null, message: describe(error) });
      });
      this.#post({ type: 'instantiated', durationMs: performance.now() - started, memoryBytes: guest.memoryBytes() });
    } catch (error) {
      this.#guest = undefined;
      this.#post({ type: 'instantiate-failed', message: describe(error) });
    }
  }

  async handle(requestId: number, init: IncomingRequestInit, flow: ResponseFlowBuffers | undefined): Promise<void> {
    const guest = this.#guest;
    if (!guest) {
      this.#post({ type: 'trapped', requestId, message: 'the instance is gone (it trapped or was disposed)' });
      return;
    }
    const window = flow ? new ResponseWindow(flow) : undefined;
    this.#spans.begin(requestId);
    // A WASIp3 request is in flight until its response is over (the body streams after `handle`
    // returned); a WASIp2 one until `handle` returns (below).
    const over = guest.concurrent ? () => this.#spans.end(requestId) : () => {};
    const sink: ResponseSink = {
      head: (status, headers) => this.#post({ type: 'head', requestId, status, headers }),
      error: (message) => {
        over();
        this.#post({ type: 'guest-error', requestId, message });
      },
      chunk: (bytes) => {
        window?.sent(bytes.byteLength);
        this.#post({ type: 'chunk', requestId, bytes });
      },
      end: (trailers) => {
        over();
        this.#post(trailers && trailers.length > 0 ? { type: 'end', requestId, trailers } : { type: 'end', requestId });
      },
      abort: (message) => {
        over();
        this.#post({ type: 'abort', requestId, message });
      },
      ...(window ? { window } : {}),
    };
    if (guest.concurrent) {
      // Runs after the guest has done all it can synchronously: every task now waits on I/O.
      setImmediate(() => this.#post({ type: 'yielded' }));
    } else {
      this.#outbox.hold();
    }
    try {
      await guest.handle(init, sink);
      if (!guest.concurrent) this.#spans.end(requestId);
      this.#post({ type: 'returned', requestId, memoryBytes: guest.memoryBytes() });
    } catch (error) {
      this.#spans.end(requestId);
      // A trap poisons the instance (jco: "cannot enter component instance" afterwards).
      this.#drop();
      this.#post({ type: 'trapped', requestId, message: describe(error) });
    } finally {
      if (!guest.concurrent) this.#outbox.release();
    }
  }

  /** Drops the instance for good and says `disposed` (the last message the pool hears from it). */
  dispose(): void {
    if (this.#disposed) return;
    // Whatever still runs of this guest stops at its next fuel check, even if nobody set the cell.
    Atomics.store(this.#interrupt, 0, 1);
    this.#drop();
    this.#outbox.send({ type: 'disposed' });
    this.#outbox.flush();
    this.#disposed = true;
  }

  #drop(): void {
    this.#outputs?.stdout.flush();
    this.#outputs?.stderr.flush();
    this.#outputs = undefined;
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('the instance was disposed'));
    this.#guest?.dispose?.();
    this.#guest = undefined;
  }

  /**
   * Where the record of each outgoing HTTP request of this instance (either world: p2
   * `outgoing-handler`, p3 `client.send`) ends: it is complete, failed (refusals included) or let
   * go; see `OutgoingRecord` (host/outgoing/types.ts). It goes to the pool as an `outgoing`
   * message, its texts bounded and the guest request that made it named when that is known
   * (`RequestSpans`); the pool worker bounds how many become `request.outgoing` events.
   *
   * Besides, the first request refused with `HTTP-request-denied` puts a line on the server's
   * stderr naming the flag, once per instance, as this instance's stderr output (the guest only
   * got the error-code, which many guests do not print).
   */
  #onOutgoingRequest(record: OutgoingRecord): void {
    this.#post({ type: 'outgoing', requestId: this.#spans.attribute(record.durationMs), call: boundedCall(record) });
    if (record.error?.tag !== 'HTTP-request-denied' || this.#deniedReported) return;
    this.#deniedReported = true;
    const url = `${record.scheme}://${record.authority}${record.path}`;
    this.#post({
      type: 'output',
      stream: 'stderr',
      line: `poolscope: instance ${this.#instanceId} tried ${record.method} ${url}: outgoing HTTP is denied; start with --allow-http to allow it (reported once per instance)`,
    });
  }

  #post(message: FromInstance): void {
    if (!this.#disposed) this.#outbox.send(message);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? describeTrap(error) : String(error);
}
