/**
 * The WASIp3 demo guests: JavaScript sources in p3/ → `wasi:http/handler@0.3.0` components,
 * built in-process by componentize-qjs's Node API (QuickJS + Wizer, a native addon: no CLI, no
 * preview2-shim). `jco componentize --backend qjs` calls the same `componentize()`.
 *
 * build.ts owns the cache and the manifest; this file contributes the p3 inputs to its hash
 * (every file under p3/, componentize-qjs's version, the WASI version) and builds one guest.
 * The wasi:* 0.3.0 WIT is not committed: it comes from @bytecodealliance/jco (lib/wit/builtin),
 * copied into a temporary deps/ beside p3/wit/world.wit for the duration of a build.
 *
 * The output is valid and behaves the same on every build, but its bytes are not reproducible:
 * the Wizer snapshot captures a few random bytes (QuickJS seeds), so only the input hash is
 * stable. That is why the cache keys on inputs, never on output bytes.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keysOf } from './keys-of.ts';
import { readNameAndVersion } from './package-json.ts';

/** The p3 guests, with the one-line description the CLI shows for `demo:<name>`. */
export const P3_DEMO_GUESTS = {
  'p3-hello': 'WASIp3 (QuickJS): answers 200 with the body "Hello, WASI!"',
  'p3-delay':
    'WASIp3 (QuickJS): awaits the clock for ?ms=N ms (default 40), then "waited N ms"; requests interleave on one instance',
  'p3-counter': 'WASIp3 (QuickJS): answers "count=N", N = requests this instance has handled (module-level state)',
  'p3-trap':
    'WASIp3 (QuickJS): /trap traps the instance (with everything in flight on it); else "ok" after ?ms=N ms (default 0)',
  'p3-endless':
    'WASIp3 (QuickJS): 200, then writes 64 KiB body chunks forever (?kib=N: N KiB, then finishes), paced by the stream; stops when the client leaves; reports "endless: N MiB written" on stdout',
} as const;

export type P3GuestName = keyof typeof P3_DEMO_GUESTS;
export const P3_GUEST_NAMES: P3GuestName[] = keysOf(P3_DEMO_GUESTS);

/** Bump when buildP3Guest's options change in a way that changes the output. */
const P3_BUILD_FORMAT = 2;
export const P3_WASI_VERSION = '0.3.0';
export const P3_WORLD = 'poolscope:demo-p3/http-guest';
const TOOL = 'componentize-qjs';

const P3_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'p3');
const P3_WIT_DIR = path.join(P3_DIR, 'wit');

export interface P3Inputs {
  toolVersion: string;
  /** Every file under p3/ (sources, shared helpers, WIT): relative path → sha256. */
  fileHashes: Map<string, string>;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** componentize-qjs's version, from the package.json beside its entry point ('missing' if absent). */
async function toolVersion(): Promise<string> {
  try {
    const entry = fileURLToPath(import.meta.resolve(TOOL));
    const pkg = await readNameAndVersion(path.join(path.dirname(entry), 'package.json'));
    return pkg.name === TOOL && pkg.version ? pkg.version : 'unknown';
  } catch {
    return 'missing';
  }
}

/** Hashes every p3 input into `hash` (build.ts's inputs hash) and returns what it read. */
export async function addP3Inputs(hash: Hash): Promise<P3Inputs> {
  const version = await toolVersion();
  hash.update(
    `p3.format=${P3_BUILD_FORMAT}\np3.tool=${TOOL}@${version}\np3.wasi=${P3_WASI_VERSION}\np3.world=${P3_WORLD}\n`,
  );
  const entries = await readdir(P3_DIR, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(P3_DIR, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  const fileHashes = new Map<string, string>();
  for (const rel of files) {
    const digest = sha256(await readFile(path.join(P3_DIR, rel)));
    fileHashes.set(rel, digest);
    hash.update(`p3/${rel}\0${digest}\n`);
  }
  for (const name of P3_GUEST_NAMES) {
    if (!fileHashes.has(`${name}.js`))
      throw new Error(`missing source for guest '${name}': ${path.join(P3_DIR, `${name}.js`)}`);
  }
  return { toolVersion: version, fileHashes };
}

/** The WASI version of the one p2 interface the world imports (`wasi:cli/stdout`, see world.wit). */
const P3_STDOUT_WASI_VERSION = '0.2.12';

/** A temp dir holding p3/wit plus jco's WASI 0.3.0 packages under deps/, and its WASI 0.2.12
 * packages beside them (as `deps/<name>@0.2.12`) for stdout. Caller removes it. */
export async function stageP3Wit(jcoRoot: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'poolscope-p3-wit-'));
  const builtin = path.join(jcoRoot, 'lib', 'wit', 'builtin');
  await cp(P3_WIT_DIR, dir, { recursive: true });
  await cp(path.join(builtin, P3_WASI_VERSION), path.join(dir, 'deps'), { recursive: true });
  for (const pkg of await readdir(path.join(builtin, P3_STDOUT_WASI_VERSION))) {
    if (pkg === 'wasi-http') continue; // not referenced by the cli package
    await cp(
      path.join(builtin, P3_STDOUT_WASI_VERSION, pkg),
      path.join(dir, 'deps', `${pkg}@${P3_STDOUT_WASI_VERSION}`),
      { recursive: true },
    );
  }
  return dir;
}

type Componentize = typeof import('componentize-qjs').componentize;
let componentizeFn: Promise<Componentize> | undefined;

/** Loaded on first use only, so a cache hit never touches the (native, dev-only) tool. */
function loadComponentize(): Promise<Componentize> {
  componentizeFn ??= import(TOOL).then(
    (mod: { componentize: Componentize }) => mod.componentize,
    (e: unknown) => {
      componentizeFn = undefined;
      throw new Error(
        `the p3 guests need the '${TOOL}' package (a devDependency): ${e instanceof Error ? e.message : String(e)}`,
      );
    },
  );
  return componentizeFn;
}

/**
 * Builds one p3 guest. Relative imports (./lib.js) are resolved under p3/ during Wizer; the
 * module paths recorded in the snapshot are relative to p3/, so nothing machine-specific leaks in.
 * The default (async) QuickJS runtime: the component uses the component-model async ABI.
 */
export async function buildP3Guest(name: P3GuestName, witPath: string): Promise<Uint8Array> {
  const componentize = await loadComponentize();
  const jsPath = path.join(P3_DIR, `${name}.js`);
  try {
    const { component } = await componentize({
      witPath,
      world: P3_WORLD,
      jsSource: await readFile(jsPath, 'utf8'),
      jsPath,
      moduleRoot: P3_DIR,
    });
    return new Uint8Array(component.buffer, component.byteOffset, component.byteLength);
  } catch (e) {
    throw new Error(`guest '${name}': componentize-qjs failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
