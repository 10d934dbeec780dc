import { performance } from 'node:perf_hooks';

/** Finished requests remembered for attribution: an outgoing request is reported when it ends,
 * which can be after the guest request that made it finished (one the guest let go of is
 * reported when its instance goes away). */
const KEPT_FINISHED = 32;

interface Span {
  requestId: number;
  start: number;
  /** Null while the request is in flight. */
  end: number | null;
}

/**
 * When each guest request of one instance was in flight, on the executor's clock, so that an
 * outgoing request (reported at its end, with its duration) can be given to the guest request
 * that made it: the one request in flight on the instance when it began. WASIp2 runs one request
 * at a time, so that one always made it; WASIp3 runs several at once, and when two or more were
 * in flight, nothing the host sees tells which one called (jco has no task context), so none is
 * named. Nor is one when none was in flight (work a WASIp3 guest goes on with after its response).
 */
export class RequestSpans {
  readonly #now: () => number;
  /** In start order; the in-flight ones and the last `KEPT_FINISHED` finished ones. */
  #spans: Span[] = [];

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  begin(requestId: number): void {
    this.#spans.push({ requestId, start: this.#now(), end: null });
  }

  /** The request is over for the guest (WASIp2: `handle` returned; WASIp3: its response ended). */
  end(requestId: number): void {
    const span = this.#spans.find((s) => s.requestId === requestId && s.end === null);
    if (!span) return;
    span.end = this.#now();
    let finished = 0;
    for (const s of this.#spans) if (s.end !== null) finished++;
    if (finished > KEPT_FINISHED) {
      const oldest = this.#spans.findIndex((s) => s.end !== null);
      this.#spans.splice(oldest, 1);
    }
  }

  /** The request in flight `durationMs` ago, if exactly one was. */
  attribute(durationMs: number): number | null {
    const at = this.#now() - durationMs;
    let found: number | null = null;
    for (const s of this.#spans) {
      if (s.start > at || (s.end !== null && s.end < at)) continue;
      if (found !== null) return null;
      found = s.requestId;
    }
    return found;
  }
}
