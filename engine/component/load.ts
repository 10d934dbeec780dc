import { basename, resolve } from 'node:path';
import type { World } from '../../protocol/index.ts';
import { ComponentLoadError } from './errors.ts';
import { readComponentFile } from './read-component-file.ts';
import { compileCoreModules, transpileCached, type TranspiledComponent } from './transpile-cache.ts';
import { DEFAULT_MAX_MEMORY_BYTES, MemoryLimitError } from './memory-limit.ts';
import { resolveDemoGuest } from './demos.ts';
import { supportedImports } from './host-capabilities.ts';

/** A component ready to be instantiated any number of times, on any worker thread. */
export interface LoadedComponent {
  /** What the user named: a path or `demo:<name>`. */
  spec: string;
  /** Short display name. */
  name: string;
  path: string;
  sha256: string;
  world: World;
  /** The exported handler interface, versioned, e.g. `wasi:http/incoming-handler@0.2.12`. */
  handlerInterface: string;
  moduleUrl: string;
  imports: string[];
  /** Compiled once here; structured-cloned (shared, not recompiled) into every worker. */
  coreModules: Record<string, WebAssembly.Module>;
  /** The bound compiled into each defined linear memory's maximum (`-W max-memory-size`). */
  maxMemoryBytes: number;
}

const P2_HANDLER = /^wasi:http\/incoming-handler@0\.2\.\d+$/;
const P3_HANDLER = /^wasi:http\/handler@0\.3\.\d+(-[\w.]+)?$/;

export async function loadComponent(
  spec: string,
  options: { cacheDir?: string; maxMemoryBytes?: number } = {},
): Promise<LoadedComponent> {
  const path = spec.startsWith('demo:') ? await resolveDemoGuest(spec.slice('demo:'.length)) : resolve(spec);
  const bytes = await readComponentFile(path, spec);

  let transpiled: TranspiledComponent;
  try {
    transpiled = await transpileCached(bytes, options.cacheDir);
  } catch (error) {
    throw new ComponentLoadError(`${spec} is not a valid component: ${messageOf(error)}`);
  }

  const { world, handlerInterface } = detectWorld(transpiled, spec);
  const supported = await supportedImports(world);
  const missing = transpiled.imports.filter((name) => !supported.has(name));
  if (missing.length > 0) {
    throw new ComponentLoadError(
      `${spec} imports interfaces Poolscope cannot provide: ${missing.join(', ')} (supported: ${[...supported].sort().join(', ')})`,
    );
  }
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  let coreModules: Record<string, WebAssembly.Module>;
  try {
    coreModules = await compileCoreModules(transpiled, { maxMemoryBytes });
  } catch (error) {
    if (error instanceof MemoryLimitError) throw new ComponentLoadError(`${spec} cannot be served: ${error.message}`);
    throw error;
  }
  return {
    spec,
    name: spec.startsWith('demo:') ? spec : basename(path),
    path,
    sha256: transpiled.sha256,
    world,
    handlerInterface,
    moduleUrl: transpiled.moduleUrl,
    imports: transpiled.imports,
    coreModules,
    maxMemoryBytes,
  };
}

function detectWorld(transpiled: TranspiledComponent, spec: string): { world: World; handlerInterface: string } {
  const names = transpiled.exports.map(([name]) => name);
  const p3 = names.find((name) => P3_HANDLER.test(name));
  if (p3) return { world: 'wasip3', handlerInterface: p3 };
  const p2 = names.find((name) => P2_HANDLER.test(name));
  if (p2) return { world: 'wasip2', handlerInterface: p2 };
  const exported = names.filter((name) => name.includes(':'));
  throw new ComponentLoadError(
    `${spec} is a component of the wrong world: it exports ${exported.length ? exported.join(', ') : 'no interfaces'}, but serving needs wasi:http/incoming-handler@0.2.x (WASIp2) or wasi:http/handler@0.3.x (WASIp3)`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
