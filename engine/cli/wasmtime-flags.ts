/**
 * wasmtime's `serve` flags (src/commands/serve.rs, src/common.rs `RunCommon`, crates/cli-flags
 * `CommonOptions` with its -O/-C/-D/-W/-S/-R groups) that Poolscope does not take, each refused by
 * name with the reason, so none is silently accepted: `error: --profile is not supported by
 * Poolscope: <why>`, exit 1. Flags of `wasmtime run` and older wasmtime releases that people carry
 * over are refused the same way. The groups' option names are wasmtime's (kebab-case), from
 * crates/cli-flags/src/lib.rs.
 */

/** A wasmtime flag or option Poolscope refuses; the message is the whole line after `error: `. */
export class UnsupportedFlagError extends Error {
  override name = 'UnsupportedFlagError';
}

export function unsupported(flag: string, why: string): UnsupportedFlagError {
  return new UnsupportedFlagError(`${flag} is not supported by Poolscope: ${why}`);
}

const V8_RUNS_IT = "the guest runs on V8 (through jco), not on wasmtime's engine, so this setting has no counterpart";

/** Flags outside the -O/-C/-D/-W/-S/-R groups, by every spelling, with why they are refused. */
const REFUSED_FLAGS: ReadonlyArray<[names: string[], why: string]> = [
  [
    ['--profile'],
    "wasmtime's profilers do not see guests running on V8; watch instances with --ui or --events, or profile Poolscope with node --cpu-prof",
  ],
  [
    ['--allow-precompiled'],
    'a precompiled .cwasm holds wasmtime machine code; Poolscope runs components through jco on V8',
  ],
  [['-g', '--gdbstub'], 'there is no wasm debugger to attach to a guest on V8'],
  [['--target'], 'there is no compilation target to choose: V8 compiles the guest for this machine'],
  [['--config'], "wasmtime's TOML configuration file is not read; pass its settings as flags"],
  [
    ['-C', '--codegen'],
    "V8 compiles the guest, so wasmtime's code generation options (-C cache, -C compiler, …) do not apply; Poolscope caches jco's output by sha256 itself",
  ],
  [
    ['-D', '--debug'],
    "wasmtime's debugging options (debug-info, coredump, debugger, …) have no counterpart for guests on V8; --events and --ui show what each instance does",
  ],
  [
    ['-R', '--record'],
    "Poolscope does not record executions for `wasmtime replay`; --events writes the pool's lifecycle events",
  ],
  [
    ['--max-concurrent-connections'],
    "Node's HTTP server can only drop connections past a limit (server.maxConnections), not hold them as wasmtime's semaphore does; --max-concurrent-requests bounds the work let in",
  ],
  // `wasmtime run` only.
  [['--invoke'], 'a `wasmtime run` flag: serve calls wasi:http handlers, never an arbitrary export'],
  [['--preload'], 'a `wasmtime run` flag: Poolscope links no extra modules into a component'],
  [['--argv0'], 'a `wasmtime run` flag: a served guest gets no arguments'],
  // Older wasmtime releases (now -W / -S / -C options, or gone).
  [
    ['--fuel'],
    'Poolscope counts fuel only to interrupt guests at -W timeout; there is no fuel budget that runs out (wasmtime spells it -W fuel now)',
  ],
  [
    ['--epoch-interruption'],
    'guests are always instrumented for interruption; -W timeout sets when (wasmtime spells it -W epoch-interruption now)',
  ],
  [
    ['--tcplisten'],
    'guests cannot be given listening sockets (wasmtime spells it -S tcplisten now, and refuses it for components)',
  ],
  [
    ['--listenfd'],
    'guests cannot be given listening sockets (wasmtime spells it -S listenfd now, and refuses it for components)',
  ],
  [['--mapdir'], 'an old wasmtime spelling: use --dir HOST::GUEST'],
  [
    [
      '--wasi-modules',
      '--wasm-features',
      '--max-wasm-stack',
      '--opt-level',
      '--disable-cache',
      '--cache-config',
      '--disable-address-map',
      '--disable-memory-init-cow',
      '--cranelift-set',
      '--cranelift-enable',
      '--coredump-on-trap',
      '--trap-unknown-imports',
      '--allow-unknown-exports',
    ],
    `an old wasmtime flag with no counterpart here: ${V8_RUNS_IT}`,
  ],
];

const REFUSED_BY_NAME = new Map<string, string>(
  REFUSED_FLAGS.flatMap(([names, why]) => names.map((name): [string, string] => [name, why])),
);

/**
 * The refusal for an option commander does not know (`--profile`, `--profile=guest`, `-Ccache`),
 * or undefined when it is no wasmtime flag either (commander's own message then applies).
 */
export function refusalForUnknownOption(token: string): string | undefined {
  const long = token.startsWith('--');
  // biome-ignore lint/style/noNonNullAssertion: split returns at least one element
  const name = long ? token.split('=')[0]! : token.slice(0, 2);
  const why = REFUSED_BY_NAME.get(name);
  if (why === undefined) return undefined;
  // `-Ccache=n` / `--codegen=cache`: name the option too.
  const group = GROUP_OF_FLAG.get(name);
  const value = long ? token.slice(name.length + 1) : token.slice(2);
  const key = group && value ? value.replace(/^=/, '').split(/[=,]/)[0] : undefined;
  return `${key ? `-${group} ${key}` : name} is not supported by Poolscope: ${why}`;
}

const GROUP_OF_FLAG = new Map<string, string>([
  ['-C', 'C'],
  ['--codegen', 'C'],
  ['-D', 'D'],
  ['--debug', 'D'],
  ['-R', 'R'],
  ['--record', 'R'],
]);

/** wasmtime's `-W` (`--wasm`) option names. */
export const WASMTIME_W_OPTIONS: ReadonlySet<string> = new Set([
  'nan-canonicalization',
  'fuel',
  'epoch-interruption',
  'max-wasm-stack',
  'async-stack-size',
  'async-stack-zeroing',
  'unknown-exports-allow',
  'unknown-imports-trap',
  'unknown-imports-default',
  'wmemcheck',
  'max-memory-size',
  'max-table-elements',
  'max-instances',
  'max-tables',
  'max-memories',
  'trap-on-grow-failure',
  'timeout',
  'all-proposals',
  'bulk-memory',
  'multi-memory',
  'multi-value',
  'reference-types',
  'simd',
  'relaxed-simd',
  'relaxed-simd-deterministic',
  'tail-call',
  'threads',
  'shared-memory',
  'shared-everything-threads',
  'memory64',
  'component-model',
  'component-model-async',
  'component-model-more-async-builtins',
  'component-model-async-stackful',
  'component-model-threading',
  'component-model-error-context',
  'component-model-gc',
  'component-model-map',
  'component-model-memory64',
  'function-references',
  'stack-switching',
  'gc',
  'custom-page-sizes',
  'wide-arithmetic',
  'branch-hinting',
  'extended-const',
  'exceptions',
  'gc-support',
  'component-model-fixed-length-lists',
  'component-model-implements',
  'concurrency-support',
]);

/** Why a `-W NAME` that wasmtime has is refused here. */
export function refusedWasmOption(name: string): string {
  if (name === 'fuel')
    return 'Poolscope counts fuel only to interrupt guests at -W timeout; there is no fuel budget that runs out';
  if (name === 'epoch-interruption') return 'guests are always instrumented for interruption; -W timeout sets when';
  if (/^(max-(table-elements|instances|tables|memories)|trap-on-grow-failure)$/.test(name)) {
    return 'the only resource bound Poolscope enforces on a guest is its linear memory (-W max-memory-size)';
  }
  if (name.startsWith('component-model-')) return 'jco decides which component-model features a guest may use';
  return `${V8_RUNS_IT} (V8 decides which WebAssembly proposals a guest may use)`;
}

/** wasmtime's `-O` (`--optimize`) option names. */
export const WASMTIME_O_OPTIONS: ReadonlySet<string> = new Set([
  'opt-level',
  'regalloc-algorithm',
  'memory-may-move',
  'memory-reservation',
  'memory-reservation-for-growth',
  'memory-guard-size',
  'gc-heap-may-move',
  'gc-heap-reservation',
  'gc-heap-reservation-for-growth',
  'gc-heap-guard-size',
  'gc-heap-initial-size',
  'guard-before-linear-memory',
  'table-lazy-init',
  'pooling-allocator',
  'pooling-decommit-batch-size',
  'pooling-memory-keep-resident',
  'pooling-table-keep-resident',
  'pooling-memory-protection-keys',
  'pooling-max-memory-protection-keys',
  'memory-init-cow',
  'memory-guaranteed-dense-image-size',
  'pooling-total-core-instances',
  'pooling-total-component-instances',
  'pooling-total-memories',
  'pooling-total-tables',
  'pooling-total-stacks',
  'pooling-max-memory-size',
  'pooling-table-elements',
  'pooling-max-core-instance-size',
  'pooling-max-unused-warm-slots',
  'pooling-async-stack-keep-resident',
  'pooling-max-component-instance-size',
  'pooling-max-core-instances-per-component',
  'pooling-max-memories-per-component',
  'pooling-max-tables-per-component',
  'pooling-max-tables-per-module',
  'pooling-max-memories-per-module',
  'pooling-total-gc-heaps',
  'signals-based-traps',
  'dynamic-memory-guard-size',
  'static-memory-guard-size',
  'static-memory-forced',
  'static-memory-maximum-size',
  'dynamic-memory-reserved-for-growth',
  'pooling-pagemap-scan',
  'gc-zeal-alloc-counter',
]);

export const REFUSED_O_REASON =
  "V8 compiles and allocates the instances, not wasmtime's pooling allocator, so its tuning has no counterpart; the instance cap is -O pooling-total-component-instances=N (or --max-instances)";

/** wasmtime's `-S` (`--wasi`) option names. */
export const WASMTIME_S_OPTIONS: ReadonlySet<string> = new Set([
  'cli',
  'cli-exit-with-code',
  'common',
  'nn',
  'threads',
  'http',
  'http-outgoing-body-buffer-chunks',
  'http-outgoing-body-chunk-size',
  'config',
  'keyvalue',
  'listenfd',
  'tcplisten',
  'tls',
  'preview2',
  'nn-graph',
  'inherit-network',
  'allow-ip-name-lookup',
  'tcp',
  'udp',
  'network-error-code',
  'preview0',
  'inherit-env',
  'inherit-stdin',
  'inherit-stdout',
  'inherit-stderr',
  'cwd',
  'config-var',
  'keyvalue-in-memory-data',
  'p3',
  'max-resources',
  'hostcall-fuel',
  'max-random-size',
  'max-http-fields-size',
]);

/** `-S` options Poolscope always has on: accepted (`=y`), and refused when turned off. */
export const ALWAYS_ON_S_OPTIONS: ReadonlyMap<string, string> = new Map([
  [
    'cli',
    'Poolscope always links the wasi:cli, wasi:filesystem and wasi:sockets interfaces (no preopens without --dir; every socket operation denied)',
  ],
  [
    'common',
    'Poolscope always links the wasi:cli, wasi:filesystem and wasi:sockets interfaces (no preopens without --dir; every socket operation denied)',
  ],
  ['p3', 'Poolscope always serves WASIp3 components (wasi:http/handler@0.3)'],
  ['http', 'wasi-http is required for the serve command, and must not be disabled'],
  ['cli-exit-with-code', 'wasi:cli/exit.exit-with-code is always provided'],
  ['network-error-code', 'wasi:sockets/network.network-error-code is always provided'],
]);

/** `-S` options for network access: off is what Poolscope always does (accepted), on is refused. */
export const NETWORK_S_OPTIONS: ReadonlySet<string> = new Set([
  'inherit-network',
  'allow-ip-name-lookup',
  'tcp',
  'udp',
]);
export const NO_NETWORK_REASON =
  'guests get no network: every wasi:sockets operation is denied (outgoing HTTP is --allow-http)';

/** Why a `-S NAME` that wasmtime has is refused here (besides the always-on and network ones). */
export function refusedWasiOption(name: string): string {
  switch (name) {
    case 'nn':
    case 'nn-graph':
      return 'Poolscope does not implement wasi-nn';
    case 'threads':
      return 'wasi-threads does not support components (wasmtime refuses it for serve too)';
    case 'config':
    case 'config-var':
      return 'Poolscope does not implement wasi:config';
    case 'keyvalue':
    case 'keyvalue-in-memory-data':
      return 'Poolscope does not implement wasi:keyvalue';
    case 'tls':
      return 'Poolscope does not implement wasi:tls';
    case 'listenfd':
    case 'tcplisten':
      return 'guests cannot be given listening sockets (wasmtime refuses it for components too)';
    case 'preview0':
    case 'preview2':
      return 'a WASIp1 (core module) option; Poolscope serves components only';
    case 'inherit-stdin':
      return "a served guest's stdin is always empty";
    case 'inherit-stdout':
    case 'inherit-stderr':
      return "guest output always goes to Poolscope's stderr, line by line with the `stdout [ID] :: ` prefix (--no-logging-prefix drops it)";
    case 'http-outgoing-body-buffer-chunks':
    case 'http-outgoing-body-chunk-size':
      return 'outgoing request bodies are not buffered in configurable chunks';
    case 'max-resources':
      return "a guest's resource table is not bounded as a whole (Poolscope bounds the files an instance holds open: see README)";
    case 'hostcall-fuel':
      return 'data passed through host calls is not metered';
    case 'max-random-size':
      return 'get-random-bytes lengths are not capped (past 2 GiB the call traps)';
    case 'max-http-fields-size':
      return 'the size of a wasi:http fields resource is not capped';
    default:
      return V8_RUNS_IT;
  }
}
