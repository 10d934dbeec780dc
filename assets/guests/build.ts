/**
 * Builds Poolscope's demo guests: hand-written WAT core modules → WASIp2 `wasi:http` components,
 * in-process with jco's wasm-tools API (parse → componentEmbed → componentNew; no CLI), the
 * WASIp3 guests (JavaScript in p3/ → QuickJS components, see build-p3.ts), the componentize-js
 * guests (JavaScript in js/ → StarlingMonkey WASIp2 components, see build-js.ts) and the zoo of test
 * fixtures from other toolchains (zoo/, see build-zoo.ts; not demos, but for `demo:js-fetch-event`).
 *
 *   node assets/guests/build.ts [--force]
 *
 * Output: assets/guests/dist/<name>.wasm and dist/manifest.json. The manifest records a sha256
 * of every input (the .wat sources, our WIT, jco's version, BUILD_FORMAT, p3/ and componentize-qjs's
 * version, js/ and componentize-js's version, zoo/); when it matches, nothing is rebuilt (tests rely on
 * this cache: the js guests alone take 5–40 s each). The wasi:* WIT packages are not committed: they
 * come from the WASI 0.2.12 WIT shipped inside @bytecodealliance/jco, copied into a temporary
 * `deps/` beside our world for the duration of a build.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addP3Inputs,
  buildP3Guest,
  P3_DEMO_GUESTS,
  P3_GUEST_NAMES,
  P3_WASI_VERSION,
  P3_WORLD,
  stageP3Wit,
  type P3Inputs,
} from './build-p3.ts';
import {
  addJsInputs,
  buildJsGuest,
  JS_DEMO_GUESTS,
  JS_GUEST_NAMES,
  JS_WASI_VERSION,
  JS_WORLD,
  stageJsWit,
  type JsInputs,
} from './build-js.ts';
import { addZooInputs, buildZooGuests, ZOO_DEMO_GUESTS, ZOO_GUEST_NAMES, type ZooGuestName } from './build-zoo.ts';
import { keysOf } from './keys-of.ts';
import { readNameAndVersion } from './package-json.ts';
import { preopenHostRoot } from './shim-preopens.ts';

export { ZOO_GUESTS, ZOO_GUEST_NAMES, zooGuestPath, type ZooGuestName } from './build-zoo.ts';

/** The WASIp2 guests written in WAT (src/<name>.wat). */
const WAT_GUESTS = {
  hello: 'answers 200 with the body "Hello, WASI!"',
  counter: 'answers "count=N", N = requests this instance has handled (per-instance state); /trap traps',
  sleep: 'blocks in pollable.block for ?ms=N ms (forever without ?ms), then "slept N ms"',
  spin: 'busy-loops on monotonic-clock.now for ?ms=N ms (forever without ?ms), then "spun N ms"',
  trap: 'executes `unreachable` before setting a response',
  'never-set': 'returns from handle without calling response-outparam.set',
  print: "writes partial lines to stdout/stderr (like wasmtime's p2_cli_serve_with_print), then 200",
  echo: 'echoes the request body, with x-method and x-path response headers',
  grow: 'grows linear memory by one 64 KiB page per request, answers "pages=N"',
  'works-once':
    'answers 200 "works once" on an instance\'s first request, traps on every later one (a leak that fails)',
  'memory-bomb':
    'grows linear memory toward 4 GiB on every request (until memory.grow fails), touching it; answers "pages=N"',
  endless:
    'answers 200 and writes its body forever, paced by check-write/subscribe, until the client goes away; ?kib=N writes N KiB and finishes',
  'trap-after-head': 'sets a 200 response, writes and flushes "partial body", then executes `unreachable`',
  flood:
    'writes ?mb=N MiB (default 16) to stdout in 64 KiB writes with no newline (?nl=K: a newline every K bytes), then 200',
  files:
    'serves its first --dir preopen: GET / lists it, GET /NAME reads a file, PUT /NAME writes the body to one; failures answer with the wasi:filesystem error-code',
  env: "wasmtime's echo_env: for each request header `env: NAME`, a response header `env: VALUE` when the guest's environment has NAME",
} as const;
type WatGuestName = keyof typeof WAT_GUESTS;
const WAT_GUEST_NAMES: WatGuestName[] = keysOf(WAT_GUESTS);

/** Every demo guest (WASIp2 WAT, WASIp3 JS, WASIp2 componentize-js, then the zoo guests that make good demos), with the one-line description the CLI shows for `demo:<name>`. */
export const DEMO_GUESTS = { ...WAT_GUESTS, ...P3_DEMO_GUESTS, ...JS_DEMO_GUESTS, ...ZOO_DEMO_GUESTS } as const;

export type DemoGuestName = keyof typeof DEMO_GUESTS;
export const DEMO_GUEST_NAMES: DemoGuestName[] = keysOf(DEMO_GUESTS);

/** Everything the build makes: the demos and the zoo (`js-fetch-event` is both). */
const ALL_GUEST_NAMES: ReadonlyArray<DemoGuestName | ZooGuestName> = [
  ...new Set([...DEMO_GUEST_NAMES, ...ZOO_GUEST_NAMES]),
];

/** Bump when the build pipeline changes in a way that changes the output. */
const BUILD_FORMAT = 1;
const WASI_VERSION = '0.2.12';
const WORLD = 'poolscope:demo/http-guest';
/** WAT guests that target another world of wit/world.wit than WORLD. */
const WAT_GUEST_WORLDS: Readonly<Record<string, string>> = {
  files: 'poolscope:demo/files-guest',
  env: 'poolscope:demo/env-guest',
};

const GUESTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const SRC_DIR = path.join(GUESTS_DIR, 'src');
const WIT_DIR = path.join(GUESTS_DIR, 'wit');
/** Where the built components go (git-ignored). */
export const GUESTS_DIST_DIR = path.join(GUESTS_DIR, 'dist');
const MANIFEST = path.join(GUESTS_DIST_DIR, 'manifest.json');

export interface GuestManifest {
  /** sha256 over all build inputs; equal hash ⇒ the dist files are current. */
  inputsSha256: string;
  jcoVersion: string;
  wasiVersion: string;
  world: string;
  /** The WASIp3 guests' toolchain (absent in manifests from before they existed). */
  p3?: { tool: string; wasiVersion: string; world: string };
  /** The componentize-js guests' toolchain (absent in manifests from before they existed). */
  js?: { tool: string; wasiVersion: string; world: string };
  builtAt: string;
  guests: Record<string, { file: string; bytes: number; sha256: string }>;
}

export interface BuildResult {
  dir: string;
  names: DemoGuestName[];
  /** False when the cache matched and nothing was built. */
  rebuilt: boolean;
  manifest: GuestManifest;
}

interface Inputs {
  jcoRoot: string;
  jcoVersion: string;
  sources: Map<WatGuestName, string>;
  p3: P3Inputs;
  js: JsInputs;
  hash: string;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The installed jco package: its root (for the builtin WIT) and version. */
async function locateJco(): Promise<{ root: string; version: string }> {
  const entry = fileURLToPath(import.meta.resolve('@bytecodealliance/jco'));
  let dir = path.dirname(entry);
  while (dir !== path.dirname(dir)) {
    try {
      const pkg = await readNameAndVersion(path.join(dir, 'package.json'));
      if (pkg.name === '@bytecodealliance/jco' && pkg.version) return { root: dir, version: pkg.version };
    } catch {
      // no package.json here: keep walking up
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find @bytecodealliance/jco's package.json above ${entry}`);
}

/** Every file under `dir`, as sorted paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Reads the sources and hashes everything that determines the output. */
async function readInputs(): Promise<Inputs> {
  const jco = await locateJco();
  const hash = createHash('sha256');
  hash.update(`format=${BUILD_FORMAT}\njco=${jco.version}\nwasi=${WASI_VERSION}\nworld=${WORLD}\n`);
  const sources = new Map<WatGuestName, string>();
  for (const name of WAT_GUEST_NAMES) {
    const file = path.join(SRC_DIR, `${name}.wat`);
    const text = await readFile(file, 'utf8').catch((e: unknown) => {
      throw new Error(`missing source for guest '${name}': ${file} (${String(e)})`);
    });
    sources.set(name, text);
    hash.update(`src/${name}.wat\0${sha256(text)}\n`);
  }
  for (const rel of await listFiles(WIT_DIR)) {
    hash.update(`wit/${rel}\0${sha256(await readFile(path.join(WIT_DIR, rel)))}\n`);
  }
  const p3 = await addP3Inputs(hash);
  const js = await addJsInputs(hash);
  await addZooInputs(hash);
  return { jcoRoot: jco.root, jcoVersion: jco.version, sources, p3, js, hash: hash.digest('hex') };
}

async function readManifest(): Promise<GuestManifest | undefined> {
  try {
    // Written by this script at the end of a build; isCurrent checks it against the files it lists
    // before it is trusted.
    return JSON.parse(await readFile(MANIFEST, 'utf8')) as GuestManifest;
  } catch {
    return undefined;
  }
}

/** The manifest matches the inputs and every component in `names` is on disk with its recorded size. */
async function isCurrent(
  manifest: GuestManifest | undefined,
  hash: string,
  names: ReadonlyArray<string> = ALL_GUEST_NAMES,
): Promise<boolean> {
  if (manifest?.inputsSha256 !== hash) return false;
  for (const name of names) {
    const entry = manifest.guests[name];
    if (!entry) return false;
    const size = await stat(path.join(GUESTS_DIST_DIR, entry.file)).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== entry.bytes) return false;
  }
  return true;
}

/** A temp dir holding our world plus jco's WASI packages under deps/, for `witPath`. */
async function stageWit(jcoRoot: string): Promise<string> {
  const builtin = path.join(jcoRoot, 'lib', 'wit', 'builtin', WASI_VERSION);
  const dir = await mkdtemp(path.join(tmpdir(), 'poolscope-guest-wit-'));
  await cp(WIT_DIR, dir, { recursive: true });
  await cp(builtin, path.join(dir, 'deps'), { recursive: true });
  return dir;
}

type Jco = typeof import('@bytecodealliance/jco');

/** jco's wasm-tools runs on preview2-shim: it needs the host root preopened to read `witPath`. */
async function loadJco(): Promise<Jco> {
  await preopenHostRoot();
  return import('@bytecodealliance/jco');
}

/** wasm-tools reports WAT syntax errors as a Rust Debug dump; pull out `line:col: message`. */
function describeParseError(file: string, message: string): string {
  const at = /line: (\d+), col: (\d+)/.exec(message);
  const what = /kind: \w+\("((?:[^"\\]|\\.)*)"\)/.exec(message);
  return at && what ? `${file}:${Number(at[1]) + 1}:${Number(at[2]) + 1}: ${what[1]}` : message;
}

async function buildOne(jco: Jco, name: string, wat: string, witPath: string): Promise<Uint8Array> {
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const detail = what === 'parse' ? describeParseError(`src/${name}.wat`, message) : message;
      throw new Error(`guest '${name}': ${what} failed: ${detail}`);
    }
  };
  const core = await step('parse', () => jco.parse(wat));
  const embedded = await step('componentEmbed', () =>
    jco.componentEmbed({ binary: core, witPath, world: WAT_GUEST_WORLDS[name] ?? WORLD, stringEncoding: 'utf8' }),
  );
  return step('componentNew', () => jco.componentNew(embedded));
}

/** Write-then-rename, so a reader never sees half a file. */
async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

type Emit = (name: DemoGuestName | ZooGuestName, build: () => Promise<Uint8Array>) => Promise<void>;

/** Builds, writes and records one guest, and logs a line for it. */
function emitter(guests: GuestManifest['guests'], log: (line: string) => void): Emit {
  return async (name, build) => {
    const started = performance.now();
    const component = await build();
    const file = `${name}.wasm`;
    await writeAtomic(path.join(GUESTS_DIST_DIR, file), component);
    guests[name] = { file, bytes: component.length, sha256: sha256(component) };
    log(
      `  ${name.padEnd(10)} ${String(component.length).padStart(8)} B  ${(performance.now() - started).toFixed(0)} ms`,
    );
  };
}

async function buildWatGuests(inputs: Inputs, emit: Emit): Promise<void> {
  const jco = await loadJco();
  const witPath = await stageWit(inputs.jcoRoot);
  try {
    for (const [name, wat] of inputs.sources) await emit(name, () => buildOne(jco, name, wat, witPath));
  } finally {
    await rm(witPath, { recursive: true, force: true });
  }
}

/** One at a time: componentize-qjs gains almost nothing from running builds side by side. */
async function buildP3Guests(inputs: Inputs, emit: Emit): Promise<void> {
  const witPath = await stageP3Wit(inputs.jcoRoot);
  try {
    for (const name of P3_GUEST_NAMES) await emit(name, () => buildP3Guest(name, witPath));
  } finally {
    await rm(witPath, { recursive: true, force: true });
  }
}

/** One at a time: each build runs Wizer over a 10 MB engine and takes seconds of CPU. */
async function buildJsGuests(inputs: Inputs, emit: Emit): Promise<void> {
  const witPath = await stageJsWit(inputs.jcoRoot);
  try {
    for (const name of JS_GUEST_NAMES) await emit(name, () => buildJsGuest(name, witPath));
  } finally {
    await rm(witPath, { recursive: true, force: true });
  }
}

async function buildAll(inputs: Inputs, log: (line: string) => void): Promise<GuestManifest> {
  const guests: GuestManifest['guests'] = {};
  await mkdir(GUESTS_DIST_DIR, { recursive: true });
  // Invalidate first: a build that fails halfway must not leave an old manifest vouching for
  // a mix of old and new components.
  await rm(MANIFEST, { force: true });
  const emit = emitter(guests, log);
  await buildWatGuests(inputs, emit);
  await buildP3Guests(inputs, emit);
  await buildJsGuests(inputs, emit);
  await buildZooGuests(inputs.jcoRoot, emit);
  const manifest: GuestManifest = {
    inputsSha256: inputs.hash,
    jcoVersion: inputs.jcoVersion,
    wasiVersion: WASI_VERSION,
    world: WORLD,
    p3: { tool: `componentize-qjs@${inputs.p3.toolVersion}`, wasiVersion: P3_WASI_VERSION, world: P3_WORLD },
    js: { tool: `componentize-js@${inputs.js.toolVersion}`, wasiVersion: JS_WASI_VERSION, world: JS_WORLD },
    builtAt: new Date().toISOString(),
    guests,
  };
  await writeAtomic(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Makes sure assets/guests/dist holds current components for every demo guest, building them
 * only when the inputs changed (or `force`). Throws with the failing guest and step on error.
 */
export async function ensureGuestsBuilt(
  /** `quietWhenCurrent`: log only when there is a build to do (the engine, on a demo's first use). */
  options: { force?: boolean; log?: (line: string) => void; quietWhenCurrent?: boolean } = {},
): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const existing = await readManifest();
  // The packaged desktop app ships the guests prebuilt, without their sources or toolchain
  // (componentize-qjs and componentize-js are dev dependencies): there the manifest is trusted
  // as long as every demo it lists is present with its size (the zoo is for tests only).
  if (
    !options.force &&
    existing &&
    process.env.POOLSCOPE_PREBUILT_GUESTS === '1' &&
    (await isCurrent(existing, existing.inputsSha256, DEMO_GUEST_NAMES))
  ) {
    return { dir: GUESTS_DIST_DIR, names: DEMO_GUEST_NAMES, rebuilt: false, manifest: existing };
  }
  const inputs = await readInputs();
  if (!options.force && existing && (await isCurrent(existing, inputs.hash))) {
    if (!options.quietWhenCurrent)
      log(
        `guests up to date (${ALL_GUEST_NAMES.length}, ${DEMO_GUEST_NAMES.length} demos and the zoo, in ${path.relative(process.cwd(), GUESTS_DIST_DIR) || '.'}, inputs ${inputs.hash.slice(0, 12)})`,
      );
    return { dir: GUESTS_DIST_DIR, names: DEMO_GUEST_NAMES, rebuilt: false, manifest: existing };
  }
  const started = performance.now();
  log(
    `building ${ALL_GUEST_NAMES.length} guests, ${DEMO_GUEST_NAMES.length} demos and the zoo (jco ${inputs.jcoVersion}, wasi ${WASI_VERSION}; p3: componentize-qjs ${inputs.p3.toolVersion}, wasi ${P3_WASI_VERSION}; js: componentize-js ${inputs.js.toolVersion}, wasi ${JS_WASI_VERSION})`,
  );
  const manifest = await buildAll(inputs, log);
  log(`built in ${((performance.now() - started) / 1000).toFixed(2)} s → ${GUESTS_DIST_DIR}`);
  return { dir: GUESTS_DIST_DIR, names: DEMO_GUEST_NAMES, rebuilt: true, manifest };
}

/** Path of one built guest component (call ensureGuestsBuilt first). */
export function guestPath(name: DemoGuestName): string {
  return path.join(GUESTS_DIST_DIR, `${name}.wasm`);
}

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--force');
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')} (usage: build.ts [--force])`);
  await ensureGuestsBuilt({ force: argv.includes('--force'), log: (line) => console.log(line) });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`guest build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
