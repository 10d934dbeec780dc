/**
 * Hooks into jco's instantiation of a WASIp3 guest, through which `p3-instance.ts` observes what
 * the glue keeps private: the guest's `handle` tasks (callback codes of its async-lift exports),
 * traps (whatever those exports throw), and its backpressure counter (the builtins the glue
 * passes it as imports). See the comment at the top of p3-instance.ts for why.
 */

/** The guest's core export for `wasi:http/handler@0.3.x#handle`, lifted as async. */
const HANDLE_LIFT = /^\[async-lift\]wasi:http\/handler@0\.3\.[^#]*#handle$/;

export interface ExportHooks {
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

// TypeScript's lib does not declare JSPI yet; Node 24 has `WebAssembly.promising`.
const jspi = WebAssembly as unknown as JspiApi;
/** Our JS stand-ins for guest exports, with the observed JSPI form the glue must get for them. */
const observedPromising = new WeakMap<AnyFunction, (...args: unknown[]) => Promise<unknown>>();
let hookDepth = 0;
let realPromising: JspiApi['promising'] | undefined;

function hookedPromising(fn: AnyFunction): (...args: unknown[]) => Promise<unknown> {
  const observed = observedPromising.get(fn);
  if (observed) return observed;
  if (!realPromising) throw new Error('WebAssembly.promising is hooked only inside withPromisingHooks');
  return realPromising(fn);
}

/**
 * Runs `instantiate` with `WebAssembly.promising` hooked: the glue calls it while instantiating,
 * and must be handed the observed JSPI form of our stand-ins (a JS function cannot be made
 * `promising`). Everything else passes through. Unhooked once no instantiation runs.
 */
export async function withPromisingHooks<T>(instantiate: () => Promise<T>): Promise<T> {
  if (hookDepth++ === 0) {
    realPromising = jspi.promising;
    jspi.promising = hookedPromising;
  }
  try {
    return await instantiate();
  } finally {
    if (--hookDepth === 0 && realPromising) {
      jspi.promising = realPromising;
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
export function observeHandleExports(exports: WebAssembly.Exports, hooks: ExportHooks): WebAssembly.Exports {
  const liftName = Object.keys(exports).find((name) => HANDLE_LIFT.test(name));
  if (!liftName) return exports;
  const callbackName = `[callback]${liftName}`;
  const lift = exports[liftName];
  const callback = exports[callbackName];
  // Without a callback export the lift is stackful: `handle` settles only when the task exits,
  // so there is no post-return task to count; traps still reject `handle` itself.
  if (!isExportedFunction(lift) || !isExportedFunction(callback)) return exports;
  return {
    ...exports,
    [liftName]: observeExport(lift, hooks.lifted, hooks.trapped),
    [callbackName]: observeExport(callback, hooks.called, hooks.trapped),
  };
}

/** An exported wasm function: callable with any arguments (it converts them to its own types). */
function isExportedFunction(value: WebAssembly.ExportValue | undefined): value is AnyFunction {
  return typeof value === 'function';
}

function observeExport(
  original: AnyFunction,
  onCode: (code: number) => void,
  onTrap: (error: unknown) => void,
): AnyFunction {
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
export function observeBackpressure(
  imports: WebAssembly.Imports | undefined,
  activity: { backpressure: number },
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
