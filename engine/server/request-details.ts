/**
 * What the engine keeps of each recent request for the dashboard's request panel, beyond what the
 * events carry: its headers and its response's, body sizes, the guest output written while it ran
 * and its phase times. Fed by the front door's `observe` hook (headers, response head, body size)
 * and by the bus (phases, output); read by the `requestDetail` command.
 *
 * Bounded (`REQUEST_DETAIL_LIMITS`): the last 2,000 requests and 16 Mi characters in all, oldest
 * dropped first; per request, 100 header fields / 8 Ki characters per section and 50 output lines
 * of 500 characters. Capture is a few small copies per request and a Map lookup per event.
 */
import type { PoolRequest, Responder } from '../pool/request.ts';
import {
  boundText,
  detailNotKept,
  REQUEST_DETAIL_LIMITS,
  type KeptHeaders,
  type PoolEvent,
  type RequestDetail,
  type RequestDetailReply,
} from '../../protocol/index.ts';

/** The bounds, as numbers (a test passes smaller ones). */
export type RequestDetailLimits = { readonly [K in keyof typeof REQUEST_DETAIL_LIMITS]: number };

/** Where events come from (the pool's `EventBus`); an interface, so this layer needs no more of it. */
export interface EventSource {
  subscribe(listener: (event: PoolEvent) => void): () => void;
}

/** A kept request, mutable while it runs; `chars` is what it counts against the store's total. */
interface Kept {
  detail: RequestDetail;
  chars: number;
}

/** A live instance's start, so a request it accepts can show the start it waited for. */
interface InstanceStart {
  spawnedAt: number;
  instantiatedAt: number | null;
  /** Whether it can take work now (`worker.available` / `worker.unavailable`). */
  available: boolean;
}

export class RequestDetails {
  readonly #limits: RequestDetailLimits;
  readonly #kept = new Map<number, Kept>();
  /**
   * Request ids in receipt order from `#head` on: the oldest first. A queue beside the Map, since
   * finding a Map's first entry after many deletions walks over their holes.
   */
  #order: number[] = [];
  #head = 0;
  #chars = 0;
  readonly #instances = new Map<number, InstanceStart>();
  /** Per instance: the requests in flight on it (their output lines are theirs). */
  readonly #running = new Map<number, Set<number>>();
  /** Per instance: requests that ended on it and wait to see it available again (or exit). */
  readonly #settling = new Map<number, Set<number>>();
  readonly #unsubscribe: () => void;

  constructor(bus: EventSource, limits: RequestDetailLimits = REQUEST_DETAIL_LIMITS) {
    this.#limits = limits;
    this.#unsubscribe = bus.subscribe((event) => this.#onEvent(event));
  }

  /** The front door's hook: keeps the request's headers and wraps its responder to see the answer. */
  observe(request: PoolRequest): PoolRequest {
    const kept = this.#kept.get(request.id);
    if (!kept) return request;
    const requestHeaders = this.#headers(request.init.headers);
    kept.detail.requestHeaders = requestHeaders;
    kept.detail.requestBodyBytes = request.init.body.byteLength;
    this.#grow(kept, headersChars(requestHeaders));
    return { ...request, responder: this.#watch(request.id, request.responder) };
  }

  /** The detail of `requestId`, or why there is none. */
  get(requestId: number): RequestDetailReply {
    const kept = this.#kept.get(requestId);
    if (!kept) return { kept: false, reason: detailNotKept(this.#limits.requests) };
    return { kept: true, detail: structuredClone(kept.detail) };
  }

  /** Requests kept now, and the characters they hold (for tests and the bound). */
  stats(): { requests: number; chars: number } {
    return { requests: this.#kept.size, chars: this.#chars };
  }

  close(): void {
    this.#unsubscribe();
  }

  #watch(requestId: number, responder: Responder): Responder {
    const watched: Responder = {
      respond: (status, headers) => {
        const kept = this.#kept.get(requestId);
        if (kept) {
          const response = { status, headers: this.#headers(headers) };
          kept.detail.response = response;
          this.#grow(kept, headersChars(response.headers));
        }
        responder.respond(status, headers);
      },
      chunk: (bytes) => {
        const kept = this.#kept.get(requestId);
        if (kept) kept.detail.responseBodyBytes += bytes.byteLength;
        responder.chunk(bytes);
      },
      fail: (kind, message) => responder.fail(kind, message),
      end: (trailers) => responder.end(trailers),
      abort: (message) => responder.abort(message),
    };
    // Backpressure and the client's departure are the real client's: passed on only if it has them.
    const { onGone, whenWritten } = responder;
    if (onGone) watched.onGone = (listener) => onGone.call(responder, listener);
    if (whenWritten) watched.whenWritten = (listener) => whenWritten.call(responder, listener);
    return watched;
  }

  #onEvent(e: PoolEvent): void {
    switch (e.type) {
      case 'request.received':
        this.#add(e.requestId, e.t, e.method, e.uri);
        return;
      case 'request.dispatched': {
        const p = this.#kept.get(e.requestId)?.detail.phases;
        if (p) {
          p.dispatchedAt = e.t;
          p.dispatchMode = e.mode;
        }
        return;
      }
      case 'worker.spawned':
        this.#instances.set(e.instanceId, { spawnedAt: e.t, instantiatedAt: null, available: false });
        return;
      case 'worker.instantiated': {
        const start = this.#instances.get(e.instanceId);
        if (start) start.instantiatedAt = e.t;
        return;
      }
      case 'request.accepted': {
        const p = this.#kept.get(e.requestId)?.detail.phases;
        if (!p) return;
        p.acceptedAt = e.t;
        p.instanceId = e.instanceId;
        p.reuseIndex = e.reuseCount;
        const start = this.#instances.get(e.instanceId);
        // Started while this request waited: part of its story.
        if (start && start.spawnedAt >= p.receivedAt) {
          p.spawnedAt = start.spawnedAt;
          p.instantiatedAt = start.instantiatedAt;
        }
        setOf(this.#running, e.instanceId).add(e.requestId);
        return;
      }
      case 'request.responded': {
        const p = this.#kept.get(e.requestId)?.detail.phases;
        if (p) p.respondedAt = e.t;
        return;
      }
      case 'request.expired': {
        const p = this.#kept.get(e.requestId)?.detail.phases;
        if (p) p.expiredAt = e.t;
        return;
      }
      case 'request.completed':
        this.#ended(e.requestId, e.instanceId, e.t);
        return;
      case 'request.failed': {
        const kept = this.#kept.get(e.requestId);
        if (kept) {
          const message = boundText(e.message, this.#limits.failureChars);
          kept.detail.failure = { kind: e.kind, message };
          this.#grow(kept, message.length);
        }
        this.#ended(e.requestId, e.instanceId, e.t);
        return;
      }
      case 'guest.output':
        this.#output(e.instanceId, e.t, e.stream, e.line);
        return;
      case 'worker.available': {
        const start = this.#instances.get(e.instanceId);
        if (start) start.available = true;
        this.#settled(e.instanceId, (p) => {
          p.availableAt = e.t;
        });
        return;
      }
      case 'worker.unavailable': {
        const start = this.#instances.get(e.instanceId);
        if (start) start.available = false;
        return;
      }
      case 'worker.exit':
        this.#settled(e.instanceId, (p) => {
          p.instanceExit = { t: e.t, cause: e.cause };
        });
        this.#instances.delete(e.instanceId);
        this.#running.delete(e.instanceId);
        return;
      default:
        return;
    }
  }

  #add(requestId: number, t: number, method: string, uri: string): void {
    const l = this.#limits;
    const detail: RequestDetail = {
      requestId,
      method: boundText(method, l.methodChars),
      uri: boundText(uri, l.uriChars),
      phases: {
        receivedAt: t,
        dispatchedAt: null,
        dispatchMode: null,
        instanceId: null,
        reuseIndex: null,
        spawnedAt: null,
        instantiatedAt: null,
        acceptedAt: null,
        respondedAt: null,
        expiredAt: null,
        endedAt: null,
        availableAt: null,
        instanceExit: null,
      },
      requestHeaders: null,
      requestBodyBytes: null,
      response: null,
      failure: null,
      responseBodyBytes: 0,
      output: [],
      outputOmitted: 0,
    };
    const kept: Kept = { detail, chars: 0 };
    this.#kept.set(requestId, kept);
    this.#order.push(requestId);
    this.#grow(kept, detail.method.length + detail.uri.length);
  }

  #ended(requestId: number, instanceId: number | null, t: number): void {
    const p = this.#kept.get(requestId)?.detail.phases;
    if (p) p.endedAt = t;
    const on = instanceId ?? p?.instanceId ?? null;
    if (on === null) return;
    this.#running.get(on)?.delete(requestId);
    // An instance that stayed available while it ran (WASIp3 concurrency) could take work at once.
    if (p && p.acceptedAt !== null && this.#instances.get(on)?.available === true) {
      p.availableAt = t;
      return;
    }
    // Bounded: an instance answers `worker.available` or `worker.exit` after each request it ends.
    if (p && p.acceptedAt !== null) setOf(this.#settling, on).add(requestId);
  }

  #settled(instanceId: number, mark: (phases: RequestDetail['phases']) => void): void {
    const ids = this.#settling.get(instanceId);
    if (!ids) return;
    this.#settling.delete(instanceId);
    for (const id of ids) {
      const p = this.#kept.get(id)?.detail.phases;
      if (p) mark(p);
    }
  }

  #output(instanceId: number, t: number, stream: 'stdout' | 'stderr', line: string): void {
    const ids = this.#running.get(instanceId);
    if (!ids) return;
    // A line written while several requests run on one instance (WASIp3) is each one's: which wrote
    // it cannot be told. One cut copy is shared by all of them.
    let text: string | null = null;
    for (const id of ids) {
      const kept = this.#kept.get(id);
      if (!kept) continue;
      const d = kept.detail;
      if (d.output.length >= this.#limits.outputLines) {
        d.outputOmitted++;
        continue;
      }
      text ??= boundText(line, this.#limits.outputLineChars);
      d.output.push({ t, stream, line: text });
      this.#grow(kept, text.length);
    }
  }

  /** A header section within the bounds, names lowercased and values as latin1 text. */
  #headers(fields: ReadonlyArray<readonly [string, Uint8Array]>): KeptHeaders {
    const l = this.#limits;
    const kept: Array<[string, string]> = [];
    let chars = 0;
    for (const [rawName, rawValue] of fields) {
      if (kept.length >= l.headerFields) break;
      const name = boundText(rawName.toLowerCase(), l.headerNameChars);
      // latin1: one character per byte, as the leak detector shows headers; only what can be kept is decoded.
      const end = Math.min(rawValue.byteLength, l.headerValueChars + 1);
      const text = Buffer.isBuffer(rawValue)
        ? rawValue.toString('latin1', 0, end)
        : Buffer.from(rawValue.buffer, rawValue.byteOffset, end).toString('latin1');
      const value = boundText(text, l.headerValueChars);
      if (chars + name.length + value.length > l.headerChars) break;
      kept.push([name, value]);
      chars += name.length + value.length;
    }
    return { fields: kept, omitted: fields.length - kept.length };
  }

  /** Counts `chars` more against the store, then lets the oldest requests go past either bound. */
  #grow(kept: Kept, chars: number): void {
    kept.chars += chars;
    this.#chars += chars;
    while (this.#kept.size > this.#limits.requests || this.#chars > this.#limits.totalChars) {
      const id = this.#order[this.#head];
      // The one growing stays (its own size is bounded far below the total).
      if (id === undefined || this.#kept.get(id) === kept) break;
      this.#head++;
      const oldest = this.#kept.get(id);
      if (!oldest) continue;
      this.#kept.delete(id);
      this.#chars -= oldest.chars;
    }
    // Drop the consumed front now and then: amortised O(1), and the array stays near `requests` long.
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }
}

function headersChars(headers: KeptHeaders): number {
  let chars = 0;
  for (const [name, value] of headers.fields) chars += name.length + value.length;
  return chars;
}

function setOf(map: Map<number, Set<number>>, key: number): Set<number> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
