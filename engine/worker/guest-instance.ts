import type { GuestOutputSink, IncomingRequestInit, ResponseSink } from '../host/p2/api.ts';
import type { InstanceThreadData } from './messages.ts';

/** One instantiated guest inside an instance thread, whatever its world. */
export interface GuestInstance {
  /** Runs the guest's handler for one request; resolves (or returns) when the handler is done. */
  handle(init: IncomingRequestInit, sink: ResponseSink): void | Promise<void>;
  /** Bytes of linear memory the instance holds now. */
  memoryBytes(): number;
  /** WASIp3: reports guest activity that outlives `handle` (bodies streaming, spawned tasks)
   * whenever its count changes; the instance stays in PostReturn until it is 0. */
  watchTasks?(listener: (pending: number) => void): void;
  /** WASIp3: reports whether the guest accepts another call (component-model backpressure). */
  watchReady?(listener: (ready: boolean) => void): void;
  /** True when many `handle` calls may run at once on this instance (WASIp3). */
  readonly concurrent: boolean;
  /** WASIp3: a trap outside any `handle` call (in post-return work) poisons the instance too. */
  onTrap?(listener: (error: unknown) => void): void;
  /** Releases what the instance holds (timers, pending calls) when it is dropped. */
  dispose?(): void;
}

export interface InstantiateOptions {
  data: InstanceThreadData;
  env: Array<[string, string]>;
  output: GuestOutputSink;
  /** Called before the guest parks the thread in a blocking call. */
  beforeBlock: () => void;
}

interface TranspiledModule {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
  ): Promise<Record<string, unknown>>;
}

let transpiledModule: Promise<TranspiledModule> | undefined;

/**
 * Instantiates the transpiled component against `imports`, recording the linear memories its core
 * instances export so memory growth per request can be reported. The generated module is imported
 * once per thread; the compiled core modules come from the main thread (never recompiled).
 */
export async function instantiateTranspiled(
  data: InstanceThreadData,
  imports: Record<string, unknown>,
): Promise<{ exports: Record<string, unknown>; memoryBytes: () => number }> {
  const module = await (transpiledModule ??= import(data.moduleUrl) as Promise<TranspiledModule>);
  const memories = new Set<WebAssembly.Memory>();
  const exports = await module.instantiate(
    (name) => {
      const compiled = data.coreModules[name];
      if (!compiled) throw new Error(`transpiled component asked for unknown core module ${name}`);
      return compiled;
    },
    imports,
    async (compiled, coreImports) => {
      // Synchronous instantiation of an already compiled module: the async form queues work on
      // V8's shared platform threads, which many instance threads then contend for.
      const instance = new WebAssembly.Instance(compiled, coreImports);
      for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
      return instance;
    },
  );
  return {
    exports,
    memoryBytes: () => {
      let total = 0;
      for (const memory of memories) total += memory.buffer.byteLength;
      return total;
    },
  };
}
