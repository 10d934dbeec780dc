/**
 * A WASIp3 guest (`wasi:http/handler@0.3.x`) inside an instance thread.
 *
 * `handle` is an async export: jco's glue runs each call as a component-model task, so many calls
 * can be in flight on one instance; the glue interleaves them on this thread (JSPI plus its own
 * timer-driven scheduler) and serialises only the guest's execution slices. A call resolves when
 * the guest's task *returns* its `result<response, error-code>` (`task.return`). The body is then
 * streamed as post-return work, and the guest task may keep running after that: wit-bindgen
 * `spawn`ed futures run on the same task (the p3 hello-world writes its body from one).
 *
 * The glue keeps its task table, trap state and backpressure counter private. We observe them
 * anyway (see `P3Activity`):
 * - Guest tasks and traps: we stand in for the guest's core exports `[async-lift]…#handle` and
 *   `[callback][async-lift]…#handle` (instantiateCore hook) and see every callback code they
 *   return: a task is alive from a lift that does not return EXIT until a callback returns EXIT,
 *   which is wasmtime's notion of an "interesting" task. Whatever they throw is a trap (or a
 *   fatal glue error), wherever it happens, including in post-return work: the glue itself never
 *   reports those, the task just stops and the instance deadlocks (see observeHandleExports).
 * - Backpressure: the guest toggles it with the `backpressure.inc`/`.dec` builtins, which the
 *   glue passes to the guest's core module as the `[backpressure-inc]`/`[backpressure-dec]`
 *   imports. We wrap them (instantiateCore hook) to mirror the counter.
 *
 * What stays invisible: glue-internal failures after a guest slice returned normally. One seen
 * with jco 1.35: a task that calls `task.return`, then YIELDs, then EXITs from its callback makes
 * the glue throw "task has already exited" internally; the instance's execution lock stays held
 * and every later call waits forever. We count the task as exited (it did), but cannot tell.
 * Those wedges surface only as requests that never return (the pool's timeouts handle them).
 */

import { future } from '@bytecodealliance/preview3-shim/future';
import { StreamReader } from '@bytecodealliance/preview3-shim/stream';
import type { IncomingRequestInit, ResponseSink } from '../host/p2/api.ts';
import { createP3Imports, httpTypes, type P3ByteReader, type P3Response } from '../host/p3/imports.ts';
import type { GuestInstance, InstantiateOptions } from './guest-instance.ts';

const { Fields, Request, Response } = httpTypes;

/** What the instance is doing now, as far as the host can see. */
export interface P3Activity {
  /** `handle` calls that have not settled yet (including ones waiting for backpressure). */
  handles: number;
  /** Guest tasks entered and not yet exited: the tasks of in-flight `handle` calls once they
   * entered the guest, and every task still running after it returned (post-return work). */
  guestTasks: number;
  /** Response bodies still being read from the guest (until its trailers future settles). */
  bodies: number;
  /** The guest's backpressure counter (`backpressure.inc` minus `backpressure.dec`). */
  backpressure: number;
}

export interface P3GuestInstance extends GuestInstance {
  /** Many `handle` calls may be in flight at once. */
  readonly concurrent: true;
  /**
   * Runs one request. Resolves when the guest's `handle` has *returned*: after `sink.head(...)`
   * (Ok) or `sink.error(...)` (Err). The body keeps streaming to `sink.chunk`/`sink.end`/
   * `sink.abort` afterwards. Rejects when the instance traps (or the guest exits), in this call
   * or in any other guest work on the instance: a trap fails every in-flight call.
   */
  handle(init: IncomingRequestInit, sink: ResponseSink): Promise<void>;
  /** Guest tasks still alive plus response bodies still streaming (0: nothing left running). */
  pendingTasks(): number;
  activity(): P3Activity;
  /** `listener(pendingTasks())` whenever the count changes (coalesced, after the current turn). */
  watchTasks(listener: (pending: number) => void): void;
  /** `callback` runs whenever `pendingTasks()` drops to 0 (coalesced). Returns an unsubscribe. */
  onTasksSettled(callback: () => void): () => void;
  /** A trap anywhere on the instance, reported once; needed for traps in post-return work, which
   * no `handle` promise is left to carry. Returns an unsubscribe. */
  onTrap(listener: (error: Error) => void): () => void;
  /** The trap that poisoned the instance (or its disposal), if any. */
  trapError(): Error | undefined;
  /** wasmtime's `poll_ready_for_concurrent_call`: false while the guest holds backpressure.
   * `handle` called meanwhile waits (here, not in the glue) until the guest releases it. A guest
   * holding backpressure with no task left can never release it: wasmtime retires such a worker. */
  readyForConcurrentCall(): boolean;
  /** `listener(readyForConcurrentCall())` whenever it changes (coalesced like `watchTasks`). */
  watchReady(listener: (ready: boolean) => void): void;
  /** Drops listeners, fails every call and body still in flight, and fails the host timers guest
   * tasks wait on (so they unwind and jco's scheduler stops polling). Guest tasks that are
   * runnable rather than waiting cannot be stopped (jco has no cancel API for host calls): a
   * thread whose instance trapped or was disposed mid-work should be terminated, not reused. */
  dispose(): void;
}

interface TranspiledModule {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports | undefined) => Promise<{ exports: WebAssembly.Exports }>,
  ): Promise<Record<string, unknown>>;
}

interface Handler {
  handle(request: unknown): Promise<unknown>;
}

/** Keyed by URL: unlike the p2 path, tests (and a thread that changes components) load several. */
const modules = new Map<string, Promise<TranspiledModule>>();

/** Callback codes (canonical ABI): the low 4 bits of what a callback-style lift returns. */
const CALLBACK_CODE_EXIT = 0;
const HANDLE_LIFT = /^\[async-lift\]wasi:http\/handler@0\.3\.[^#]*#handle$/;

export async function instantiateP3({ data, env, output, beforeBlock }: InstantiateOptions): Promise<P3GuestInstance> {
  let module = modules.get(data.moduleUrl);
  if (!module) {
    module = import(data.moduleUrl) as Promise<TranspiledModule>;
    modules.set(data.moduleUrl, module);
  }
  const host = createP3Imports({ env, output, allowOutgoingHttp: data.allowOutgoingHttp, beforeBlock });

  const memories = new Set<WebAssembly.Memory>();
  const activity: P3Activity = { handles: 0, guestTasks: 0, bodies: 0, backpressure: 0 };
  const pending = (): number => activity.guestTasks + activity.bodies;

  // --- change notifications, coalesced to one per turn (setImmediate runs after every promise
  // continuation of the current turn), and flushed when a `handle` call returns, so that its
  // caller hears about the work it left behind before it learns that the call returned.
  const watchers = new Set<(pending: number) => void>();
  const settledListeners = new Set<() => void>();
  const readyWatchers = new Set<(ready: boolean) => void>();
  let reported = 0;
  let reportedReady = true;
  let flushQueued = false;
  const flush = (): void => {
    const ready = activity.backpressure === 0;
    if (ready !== reportedReady) {
      reportedReady = ready;
      for (const watcher of [...readyWatchers]) watcher(ready);
    }
    const now = pending();
    if (now === reported) return;
    reported = now;
    for (const watcher of [...watchers]) watcher(now);
    if (now === 0) for (const listener of [...settledListeners]) listener();
  };
  const changed = (): void => {
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(() => {
      flushQueued = false;
      flush();
    });
  };

  // --- traps: the first one poisons the instance and fails everything still in flight.
  let trap: Error | undefined;
  const inFlight = new Set<(error: Error) => void>();
  const streaming = new Set<(message: string) => void>();
  const trapListeners = new Set<(error: Error) => void>();
  const poison = (error: unknown): void => {
    if (trap) return;
    trap = error instanceof Error ? error : new Error(describeError(error));
    host.dispose();
    for (const fail of [...inFlight]) fail(trap);
    for (const abort of [...streaming]) abort(`the instance trapped: ${describeTrap(trap)}`);
    for (const listener of [...trapListeners]) listener(trap);
  };

  const hooks: ExportHooks = {
    lifted(code) {
      if ((code & 0xf) !== CALLBACK_CODE_EXIT) {
        activity.guestTasks++;
        changed();
      }
    },
    called(code) {
      if ((code & 0xf) !== CALLBACK_CODE_EXIT) return;
      activity.guestTasks--;
      changed();
    },
    trapped: poison,
  };

  // --- backpressure, with the callers waiting for it to clear.
  let backpressureCleared: (() => void) | undefined;
  let whenBackpressureClears: Promise<void> | undefined;
  const backpressureChanged = (): void => {
    if (activity.backpressure === 0 && backpressureCleared) {
      backpressureCleared();
      backpressureCleared = undefined;
      whenBackpressureClears = undefined;
    }
  };

  let exports: Record<string, unknown>;
  try {
    exports = await withPromisingHooks(async () =>
      (await module).instantiate(
        (name) => {
          const compiled = data.coreModules[name];
          if (!compiled) throw new Error(`transpiled component asked for unknown core module ${name}`);
          return compiled;
        },
        host.imports,
        async (compiled, coreImports) => {
          const instance = new WebAssembly.Instance(compiled, observeBackpressure(coreImports, activity, backpressureChanged));
          for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
          return { exports: observeHandleExports(instance.exports, hooks) };
        },
      ),
    );
  } catch (error) {
    host.dispose();
    throw error;
  }

  const handler = (exports[data.handlerInterface] ?? exports['handler']) as Handler | undefined;
  if (!handler || typeof handler.handle !== 'function') {
    host.dispose();
    throw new Error(`the instance does not export ${data.handlerInterface}.handle`);
  }

  const startBody = (response: P3Response, sink: ResponseSink): void => {
    activity.bodies++;
    changed();
    let aborted = false;
    const abort = (message: string): void => {
      aborted = true;
      sink.abort(message);
    };
    streaming.add(abort);
    const guarded: ResponseSink = {
      ...sink,
      chunk: (bytes) => { if (!aborted) sink.chunk(bytes); },
      end: () => { if (!aborted) sink.end(); },
      abort: (message) => { if (!aborted) abort(message); },
    };
    void streamBody(response, guarded).finally(() => {
      streaming.delete(abort);
      activity.bodies--;
      changed();
    });
  };

  /** Settles with the call's outcome, or rejects as soon as the instance traps anywhere. */
  const untilTrap = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (trap) {
        reject(trap);
        return;
      }
      const fail = (error: Error): void =>
        reject(new Error(`the instance trapped while this request was in flight: ${describeTrap(error)}`, { cause: error }));
      inFlight.add(fail);
      work.then(
        (value) => { inFlight.delete(fail); resolve(value); },
        (error: unknown) => { inFlight.delete(fail); reject(error); },
      );
    });

  return {
    concurrent: true,
    async handle(init, sink) {
      if (trap) throw new Error(`the instance has trapped: ${describeTrap(trap)}`, { cause: trap });
      let request: unknown;
      try {
        request = newRequest(init);
      } catch (error) {
        // A request the p3 types refuse (bad method, path, header) never reaches the guest.
        sink.error(`the request cannot be represented in wasi:http@0.3: ${describeError(error)}`);
        return;
      }
      activity.handles++;
      let result: unknown;
      try {
        // jco does not queue a call made while the guest holds backpressure (the first such call
        // fails with "failed to enter task", later ones never settle), so we wait here.
        while (activity.backpressure > 0) {
          whenBackpressureClears ??= new Promise<void>((resolve) => (backpressureCleared = resolve));
          await untilTrap(whenBackpressureClears);
        }
        result = await untilTrap(handler.handle(request));
      } catch (error) {
        if (!trap && isErrorCode(error)) {
          sink.error(formatErrorCode(error));
          flush();
          return;
        }
        // Anything else that escapes the guest is fatal for the instance (trap, exit, glue error).
        poison(error);
        throw error;
      } finally {
        activity.handles--;
      }
      if (!(result instanceof Response)) {
        const error = new Error('the guest returned something that is not a wasi:http/types.response');
        poison(error);
        throw error;
      }
      sink.head(result.getStatusCode(), result.getHeaders().copyAll() as Array<[string, Uint8Array]>);
      startBody(result, sink);
      flush();
    },
    pendingTasks: pending,
    activity: () => ({ ...activity }),
    watchTasks(listener) {
      watchers.add(listener);
    },
    onTasksSettled(callback) {
      settledListeners.add(callback);
      return () => settledListeners.delete(callback);
    },
    onTrap(listener) {
      trapListeners.add(listener);
      return () => trapListeners.delete(listener);
    },
    trapError: () => trap,
    readyForConcurrentCall: () => activity.backpressure === 0,
    watchReady(listener) {
      readyWatchers.add(listener);
    },
    memoryBytes() {
      let total = 0;
      for (const memory of memories) total += memory.buffer.byteLength;
      return total;
    },
    dispose() {
      watchers.clear();
      settledListeners.clear();
      readyWatchers.clear();
      trapListeners.clear();
      // Like wasmtime dropping the store: whatever is still in flight fails now.
      poison(new Error('the instance was disposed'));
    },
  };
}

/** Builds a `wasi:http/types@0.3` request from the pool's buffered request. */
function newRequest(init: IncomingRequestInit): unknown {
  const entries: Array<[string, Uint8Array]> = [];
  for (const [name, value] of init.headers) {
    // Hop-by-hop and `host` headers are forbidden in p3 fields; the authority carries the host.
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) continue;
    entries.push([name, value]);
  }
  const headers = Fields.fromList(entries);
  // Always a stream (possibly empty): `consume-body` hands the guest a `stream<u8>`, not an option.
  const body = new StreamReader(init.body.length > 0 ? [init.body] : []);
  const [request] = Request.new(headers, body, Promise.resolve({ tag: 'ok', val: undefined }), null);
  request.setMethod(init.method);
  request.setScheme(init.scheme);
  request.setAuthority(init.authority);
  request.setPathWithQuery(init.pathWithQuery);
  return request;
}

/** What preview3-shim's `Fields` refuses (its `_forbiddenHeaders`). */
const FORBIDDEN_HEADERS = new Set([
  'connection', 'http2-settings', 'host', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
  'proxy-connection', 'transfer-encoding', 'upgrade',
]);

/** Reads the response body as the guest produces it, then its trailers; then completes the future
 * `response.new` returned to the guest (how the transmission went). */
async function streamBody(response: P3Response, sink: ResponseSink): Promise<void> {
  const { rx } = future();
  let body: P3ByteReader | null;
  let trailers: { read(): Promise<unknown> };
  try {
    [body, trailers] = Response.consumeBody(response, rx);
  } catch (error) {
    sink.abort(`cannot read the response body: ${describeError(error)}`);
    return;
  }
  try {
    if (body) {
      for (;;) {
        const chunk: unknown = await body.read();
        if (chunk === null || chunk === undefined) break;
        const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk as ArrayBuffer);
        if (bytes.length > 0) sink.chunk(bytes);
      }
    }
    const outcome = await trailers.read();
    if (isResult(outcome) && outcome.tag === 'err') throw outcome.val;
  } catch (error) {
    const message = describeError(error);
    sink.abort(`the response body failed: ${message}`);
    response._resolve({ tag: 'err', val: { tag: 'internal-error', val: message } });
    return;
  }
  sink.end();
  response._resolve({ tag: 'ok', val: undefined });
}

interface ErrorCodeValue {
  tag: string;
  val?: unknown;
}

function isResult(value: unknown): value is { tag: 'ok' | 'err'; val?: unknown } {
  if (typeof value !== 'object' || value === null) return false;
  const tag = (value as ErrorCodeValue).tag;
  return tag === 'ok' || tag === 'err';
}

/** A `wasi:http/types.error-code` as the glue throws it for `Err` (a plain variant object). */
function isErrorCode(value: unknown): value is ErrorCodeValue {
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  return typeof (value as ErrorCodeValue).tag === 'string';
}

/** `internal-error("boom")`, `HTTP-request-denied`, `DNS-error({"rcode":"x","infoCode":1})`. */
export function formatErrorCode(code: ErrorCodeValue): string {
  if (code.val === undefined || code.val === null) return code.tag;
  const payload = JSON.stringify(code.val, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return `${code.tag}(${payload})`;
}

/** V8's own trap messages ("unreachable") as wasmtime words them ("wasm trap: …"). */
function describeTrap(error: Error): string {
  if (error instanceof WebAssembly.RuntimeError && !error.message.startsWith('wasm trap')) return `wasm trap: ${error.message}`;
  return error.message;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (isErrorCode(error)) return formatErrorCode(error);
  if (typeof error === 'object' && error !== null && 'payload' in error) return describeError((error as { payload: unknown }).payload);
  return String(error);
}

// --- hooks into the glue's instantiation ---------------------------------------------------

interface ExportHooks {
  /** The `[async-lift]` call returned this callback code. */
  lifted(code: number): void;
  /** A `[callback]` call returned this callback code. */
  called(code: number): void;
  /** Either threw (a trap, or a host import throwing something that is not a WIT error). */
  trapped(error: unknown): void;
}

type AnyFunction = (...args: unknown[]) => unknown;
interface JspiApi {
  promising(fn: AnyFunction): (...args: unknown[]) => Promise<unknown>;
}

const jspi = WebAssembly as unknown as JspiApi;
/** Our JS stand-ins for guest exports, with the observed JSPI form the glue must get for them. */
const observedPromising = new WeakMap<AnyFunction, (...args: unknown[]) => Promise<unknown>>();
let hookDepth = 0;
let realPromising: JspiApi['promising'] | undefined;

function hookedPromising(fn: AnyFunction): (...args: unknown[]) => Promise<unknown> {
  return observedPromising.get(fn) ?? realPromising!(fn);
}

/**
 * Runs `instantiate` with `WebAssembly.promising` hooked: the glue calls it while instantiating,
 * and must be handed the observed JSPI form of our stand-ins (a JS function cannot be made
 * `promising`). Everything else passes through. Unhooked once no instantiation runs.
 */
async function withPromisingHooks<T>(instantiate: () => Promise<T>): Promise<T> {
  if (hookDepth++ === 0) {
    realPromising = jspi.promising;
    jspi.promising = hookedPromising;
  }
  try {
    return await instantiate();
  } finally {
    if (--hookDepth === 0) {
      jspi.promising = realPromising!;
      realPromising = undefined;
    }
  }
}

/**
 * Replaces the guest's callback-style `handle` lift and its callback with observed stand-ins.
 * The glue calls an export either directly (a JS call, when it decided the function never
 * suspends) or through `WebAssembly.promising` (JSPI); it decides per component, so both forms
 * are observed: the direct one by a JS wrapper (try/catch around the wasm call), the JSPI one by
 * watching the promise. `_cachedPromising` is where the glue's call paths look for the JSPI form
 * before creating one themselves (after instantiation, when the hook is gone).
 */
function observeHandleExports(exports: WebAssembly.Exports, hooks: ExportHooks): WebAssembly.Exports {
  const liftName = Object.keys(exports).find((name) => HANDLE_LIFT.test(name));
  if (!liftName) return exports;
  const callbackName = `[callback]${liftName}`;
  const lift = exports[liftName];
  const callback = exports[callbackName];
  // Without a callback export the lift is stackful: `handle` settles only when the task exits,
  // so there is no post-return task to count; traps still reject `handle` itself.
  if (typeof lift !== 'function' || typeof callback !== 'function') return exports;
  return {
    ...exports,
    [liftName]: observeExport(lift as AnyFunction, hooks.lifted, hooks.trapped),
    [callbackName]: observeExport(callback as AnyFunction, hooks.called, hooks.trapped),
  };
}

function observeExport(original: AnyFunction, onCode: (code: number) => void, onTrap: (error: unknown) => void): AnyFunction {
  const promising = (realPromising ?? jspi.promising)(original);
  const viaJspi = (...args: unknown[]): Promise<unknown> => {
    const result = promising(...args);
    result.then((code) => onCode(Number(code)), onTrap);
    return result;
  };
  const direct = (...args: unknown[]): unknown => {
    let code: unknown;
    try {
      code = original(...args);
    } catch (error) {
      onTrap(error);
      throw error;
    }
    onCode(Number(code));
    return code;
  };
  observedPromising.set(direct, viaJspi);
  return Object.assign(direct, { _cachedPromising: viaJspi });
}

const BACKPRESSURE_IMPORTS = new Set(['[backpressure-inc]', '[backpressure-dec]', '[backpressure-set]']);

/** Mirrors the guest's backpressure counter by wrapping the builtins the glue passes it. */
function observeBackpressure(
  imports: WebAssembly.Imports | undefined,
  activity: P3Activity,
  changed: () => void,
): WebAssembly.Imports | undefined {
  if (!imports) return imports;
  let copy: WebAssembly.Imports | undefined;
  for (const [namespace, members] of Object.entries(imports)) {
    for (const name of Object.keys(members)) {
      if (!BACKPRESSURE_IMPORTS.has(name)) continue;
      const original = members[name];
      if (typeof original !== 'function') continue;
      copy ??= { ...imports };
      const wrapped = (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(original, undefined, args);
        // Same arithmetic as the glue's ComponentAsyncState (dec saturates at 0).
        if (name === '[backpressure-inc]') activity.backpressure++;
        else if (name === '[backpressure-dec]') activity.backpressure = Math.max(0, activity.backpressure - 1);
        else activity.backpressure = args[0] ? 1 : 0;
        changed();
        return result;
      };
      copy[namespace] = { ...copy[namespace], [name]: Object.assign(wrapped, original) };
    }
  }
  return copy ?? imports;
}
