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

import type { IncomingRequestInit, ResponseSink } from '../../base/http-exchange.ts';
import { createP3Imports, httpTypes, type P3Response } from '../host/p3/imports.ts';
import { importGlue, withInterrupt, type GuestInstance, type InstantiateOptions } from './guest-instance.ts';
import { observeBackpressure, observeHandleExports, withPromisingHooks, type ExportHooks } from './p3-glue-hooks.ts';
import { describeError, describeTrap, formatErrorCode, isErrorCode, newRequest, streamBody } from './p3-http.ts';

const { Response } = httpTypes;

/** What the instance is doing now, as far as the host can see. */
interface P3Activity {
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
  /** `listener(pending)` whenever the count of guest tasks still alive plus response bodies still
   * streaming changes (0: nothing left running); coalesced, after the current turn, and flushed
   * before a `handle` call returns. */
  watchTasks(listener: (pending: number) => void): void;
  /** A trap anywhere on the instance, reported once; needed for traps in post-return work, which
   * no `handle` promise is left to carry. Returns an unsubscribe. */
  onTrap(listener: (error: Error) => void): () => void;
  /** `listener(ready)` whenever wasmtime's `poll_ready_for_concurrent_call` changes (coalesced
   * like `watchTasks`): not ready while the guest holds backpressure. `handle` called meanwhile
   * waits (here, not in the glue) until the guest releases it. A guest holding backpressure with
   * no task left can never release it: wasmtime retires such a worker. */
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
    instantiateCore: (
      module: WebAssembly.Module,
      imports: WebAssembly.Imports | undefined,
    ) => Promise<{ exports: WebAssembly.Exports }>,
  ): Promise<Record<string, unknown>>;
}

interface Handler {
  handle(request: unknown): Promise<unknown>;
}

/** Callback codes (canonical ABI): the low 4 bits of what a callback-style lift returns. */
const CALLBACK_CODE_EXIT = 0;

export async function instantiateP3({
  data,
  env,
  output,
  beforeBlock,
  interrupt,
  onOutgoingRequest,
}: InstantiateOptions): Promise<P3GuestInstance> {
  const module = importGlue<TranspiledModule>(data.moduleUrl);
  const host = createP3Imports({
    env,
    output,
    allowOutgoingHttp: data.allowOutgoingHttp,
    onOutgoingRequest,
    beforeBlock,
    filesystem: data.filesystem,
  });

  const memories = new Set<WebAssembly.Memory>();
  const activity: P3Activity = { guestTasks: 0, bodies: 0, backpressure: 0 };
  const pending = (): number => activity.guestTasks + activity.bodies;

  // --- change notifications, coalesced to one per turn (setImmediate runs after every promise
  // continuation of the current turn), and flushed when a `handle` call returns, so that its
  // caller hears about the work it left behind before it learns that the call returned.
  const watchers = new Set<(pending: number) => void>();
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
          const instance = new WebAssembly.Instance(
            compiled,
            withInterrupt(compiled, observeBackpressure(coreImports, activity, backpressureChanged), interrupt),
          );
          for (const value of Object.values(instance.exports))
            if (value instanceof WebAssembly.Memory) memories.add(value);
          return { exports: observeHandleExports(instance.exports, hooks) };
        },
      ),
    );
  } catch (error) {
    host.dispose();
    throw error;
  }

  // The glue's exports are untyped; what the call needs (a `handle` function) is checked below.
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
      chunk: (bytes) => {
        if (!aborted) sink.chunk(bytes);
      },
      end: (trailers) => {
        if (!aborted) sink.end(trailers);
      },
      abort: (message) => {
        if (!aborted) abort(message);
      },
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
        reject(
          new Error(`the instance trapped while this request was in flight: ${describeTrap(error)}`, { cause: error }),
        );
      inFlight.add(fail);
      work.then(
        (value) => {
          inFlight.delete(fail);
          resolve(value);
        },
        (error: unknown) => {
          inFlight.delete(fail);
          reject(error);
        },
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
      }
      if (!(result instanceof Response)) {
        const error = new Error('the guest returned something that is not a wasi:http/types.response');
        poison(error);
        throw error;
      }
      sink.head(result.getStatusCode(), result.getHeaders().copyAll());
      startBody(result, sink);
      flush();
    },
    watchTasks(listener) {
      watchers.add(listener);
    },
    onTrap(listener) {
      trapListeners.add(listener);
      return () => trapListeners.delete(listener);
    },
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
      readyWatchers.clear();
      trapListeners.clear();
      // Like wasmtime dropping the store: whatever is still in flight fails now.
      poison(new Error('the instance was disposed'));
    },
  };
}
