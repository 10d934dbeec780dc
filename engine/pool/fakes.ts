/**
 * Stand-ins for what the pool's unit tests cannot have: executor threads and the passing of time.
 * Only the tests of engine/pool import this. `FakeInstanceHost` replaces the threads (what a guest
 * instance says is played by the test, message by message, exactly as an executor would deliver
 * it); `FakeClock` replaces Node's timers (time moves only when the test moves it). Everything
 * else a test builds on these is the production code: `ProxyHandler`, `PoolWorker`, the policy,
 * `OpenResponses`, the event bus.
 */
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { FailureKind, PoolEvent } from '../../protocol/index.ts';
import type { FromInstance } from '../thread/messages.ts';
import type { ResponseFlowBuffers } from '../thread/response-flow.ts';
import type { PoolClock, PoolTimer } from './clock.ts';
import type { HostedInstance, InstanceHost, InstanceOwner } from './instance-host.ts';
import type { PoolRequest, Responder } from './request.ts';

interface PendingTimer {
  at: number;
  /** Arming order: timers due at the same instant fire in it, as Node's do. */
  order: number;
  fire: () => void;
  cancelled: boolean;
}

/** Time that moves only when the test says so. */
export class FakeClock implements PoolClock {
  #now = 0;
  #armed = 0;
  #timers: PendingTimer[] = [];

  now(): number {
    return this.#now;
  }

  after(delayMs: number, fire: () => void): PoolTimer {
    const timer: PendingTimer = { at: this.#now + Math.max(0, delayMs), order: this.#armed++, fire, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** When the next timer is due, or null if none is armed. */
  get nextDue(): number | null {
    return this.#next()?.at ?? null;
  }

  /** Moves time to the earliest armed timer and fires it; returns the time reached, or null if none was armed. */
  advanceToNextTimer(): number | null {
    const next = this.#next();
    if (!next) return null;
    this.#timers.splice(this.#timers.indexOf(next), 1);
    this.#now = next.at;
    next.fire();
    return this.#now;
  }

  /** Moves time forward by `ms`, firing every timer due by then in order (those they arm too). */
  advanceBy(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#next(); next && next.at <= until; next = this.#next()) this.advanceToNextTimer();
    this.#now = until;
  }

  #next(): PendingTimer | undefined {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    let best: PendingTimer | undefined;
    for (const timer of this.#timers)
      if (!best || timer.at < best.at || (timer.at === best.at && timer.order < best.order)) best = timer;
    return best;
  }
}

/** Instances that live in the test: it plays what each one says. */
export class FakeInstanceHost implements InstanceHost {
  readonly placed: FakeInstance[] = [];

  place(owner: InstanceOwner, env: Array<[string, string]>): FakeInstance {
    const instance = new FakeInstance(owner, env);
    this.placed.push(instance);
    return instance;
  }

  /** The instance placed `index`-th (the pool numbers its instances in the same order). */
  instance(index: number): FakeInstance {
    const instance = this.placed[index];
    if (!instance) throw new Error(`no instance ${index} was placed (${this.placed.length} were)`);
    return instance;
  }
}

export class FakeInstance implements HostedInstance {
  readonly executorId = 0;
  readonly env: ReadonlyArray<[string, string]>;
  readonly #owner: InstanceOwner;
  /** Requests handed to this instance, in order. */
  readonly requests: number[] = [];
  disposeAsked = false;
  /** The grace of the last `kill`, or null if it was never killed. */
  killedWithGrace: number | null = null;
  /** What `stalled()` answers: the test holds the "executor" by setting it. */
  holdingExecutor = false;

  constructor(owner: InstanceOwner, env: Array<[string, string]>) {
    this.#owner = owner;
    this.env = env;
  }

  /** The flow of each request handed to this instance: what the thread would pace its body by. */
  readonly flows = new Map<number, ResponseFlowBuffers>();

  request(requestId: number, _init: IncomingRequestInit, flow: ResponseFlowBuffers | undefined): void {
    this.requests.push(requestId);
    if (flow) this.flows.set(requestId, flow);
  }

  dispose(): void {
    this.disposeAsked = true;
  }

  kill(graceMs: number): void {
    this.killedWithGrace = graceMs;
  }

  stalled(): boolean {
    return this.holdingExecutor;
  }

  say(message: FromInstance): void {
    this.#owner.onMessage(message);
  }

  instantiated(memoryBytes = 65536): void {
    this.say({ type: 'instantiated', durationMs: 1, memoryBytes });
  }

  /** A whole answer with a content-length body, then `handle` returns. */
  answer(requestId: number, body = 'ok', status = 200): void {
    const bytes = new TextEncoder().encode(body);
    this.say({
      type: 'head',
      requestId,
      status,
      headers: [['content-length', new TextEncoder().encode(String(bytes.byteLength))]],
    });
    this.say({ type: 'chunk', requestId, bytes });
    this.say({ type: 'end', requestId });
    this.say({ type: 'returned', requestId, memoryBytes: 65536 });
  }

  disposed(): void {
    this.say({ type: 'disposed' });
  }

  lost(message: string): void {
    this.#owner.onLost(message);
  }
}

/** What the pool did with one request, as its client would see it. */
export interface ClientView {
  status: number | null;
  failed: { kind: FailureKind; message: string } | null;
  body: string;
  ended: boolean;
  aborted: string | null;
}

/**
 * A request whose responder records what reached its client. `leave()` is the client hanging up.
 * With `manualWrites`, chunks wait in the "socket" until `flushWrites()`, as under a slow client.
 */
export function clientRequest(id: number, receivedAt: number, options: { manualWrites?: boolean } = {}) {
  const view: ClientView = { status: null, failed: null, body: '', ended: false, aborted: null };
  let over = false;
  let gone = false;
  const goneListeners: Array<() => void> = [];
  let writeListeners: Array<() => void> = [];
  const decoder = new TextDecoder();
  const finish = (): void => {
    over = true;
    goneListeners.length = 0;
  };
  const responder: Responder = {
    respond(status) {
      view.status = status;
    },
    fail(kind, message) {
      view.failed = { kind, message };
      finish();
    },
    chunk(bytes) {
      if (!gone) view.body += decoder.decode(bytes);
    },
    end() {
      view.ended = true;
      finish();
    },
    abort(message) {
      view.aborted = message;
      finish();
    },
    onGone(listener) {
      if (over) return;
      if (gone) queueMicrotask(listener);
      else goneListeners.push(listener);
    },
    whenWritten(listener) {
      if (over || gone) return;
      if (options.manualWrites) writeListeners.push(listener);
      else listener();
    },
  };
  const init: IncomingRequestInit = {
    method: 'GET',
    scheme: 'http',
    authority: 'localhost',
    pathWithQuery: '/',
    headers: [],
    body: new Uint8Array(),
  };
  const request: PoolRequest = { id, init, receivedAt, responder };
  return {
    request,
    view,
    leave(): void {
      if (over || gone) return;
      gone = true;
      writeListeners = [];
      for (const listener of goneListeners.splice(0)) listener();
    },
    flushWrites(): void {
      for (const listener of writeListeners.splice(0)) listener();
    },
  };
}

/** An event as one short line, for asserting what happened and in which order. */
export function describe(event: PoolEvent): string | null {
  switch (event.type) {
    case 'request.dispatched':
      return `r${event.requestId} ${event.mode}`;
    case 'worker.spawned':
      return `i${event.instanceId} spawned (${event.reason})`;
    case 'worker.instantiated':
      return `i${event.instanceId} instantiated`;
    case 'worker.instantiation_failed':
      return `i${event.instanceId} instantiation failed (${event.failedRequests} failed)`;
    case 'request.accepted':
      return `r${event.requestId} accepted by i${event.instanceId}`;
    case 'request.responded':
      return `r${event.requestId} responded ${event.status}`;
    case 'request.completed':
      return `r${event.requestId} completed`;
    case 'request.failed':
      return `r${event.requestId} failed ${event.kind}`;
    case 'request.expired':
      return `r${event.requestId} expired`;
    case 'worker.available':
      return `i${event.instanceId} available`;
    case 'worker.unavailable':
      return `i${event.instanceId} unavailable (${event.why})`;
    case 'worker.status':
      return `i${event.instanceId} ${event.status}`;
    case 'worker.draining':
      return `i${event.instanceId} draining (${event.cause})`;
    case 'worker.exit':
      return `i${event.instanceId} exit (${event.cause})`;
    default:
      return null;
  }
}
