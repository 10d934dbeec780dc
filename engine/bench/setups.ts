/** What the benchmark compares: one server configuration per row, started as a child process. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POOLSCOPE = fileURLToPath(new URL('../cli/poolscope.ts', import.meta.url));
const NODE_HELLO = fileURLToPath(new URL('./node-hello-server.ts', import.meta.url));
export const JCO_BIN = fileURLToPath(new URL('../../node_modules/@bytecodealliance/jco/dist/jco.js', import.meta.url));
export const HELLO_WASM = fileURLToPath(new URL('../../assets/guests/dist/hello.wasm', import.meta.url));
/** demo:js-hello's component file (componentize-js, ~14 MB), served by jco serve directly. */
export const JS_HELLO_WASM = fileURLToPath(new URL('../../assets/guests/dist/js-hello.wasm', import.meta.url));
export const P3_HELLO = fileURLToPath(
  new URL('../../../shared/fixtures/wasmtime-test-programs/p3-cli-serve-hello-world.wasm', import.meta.url),
);

export interface Unavailable {
  kind: 'skipped' | 'failed';
  reason: string;
}

export type ServerKind = 'node' | 'jco' | 'poolscope';

export interface BenchSetup {
  id: string;
  label: string;
  group: 'throughput' | 'io';
  kind: ServerKind;
  /** Path and query of every request. */
  path: string;
  /**
   * Arguments after `node`. `PORT` is replaced with a free port (jco serve cannot report the
   * port it picked); `JCO_DIR` with a scratch directory for its transpiled output.
   */
  args: string[];
  /** Whether Poolscope writes `--events` (live instances); costs the server some throughput. */
  events: boolean;
  /**
   * A request here can take longer than `--quick`'s 1 s window (an expensive instance per
   * request), so that window would count nothing: a quick run measures this long instead.
   */
  quickDurationMs?: number;
  /** Why the row cannot run at all (checked before starting anything): skipped, or failed when something we build is missing. */
  unavailable?: () => Unavailable | null;
}

const jcoServe = (extra: string[], component = HELLO_WASM): string[] => [
  JCO_BIN,
  'serve',
  component,
  '--host',
  '127.0.0.1',
  '--port',
  'PORT',
  '--jco-dir',
  'JCO_DIR',
  ...extra,
];
export const poolscope = (component: string, extra: string[]): string[] => [
  POOLSCOPE,
  'serve',
  component,
  '--addr',
  '127.0.0.1:0',
  ...extra,
];

export const needs =
  (path: string, what: string, kind: Unavailable['kind'] = 'skipped') =>
  (): Unavailable | null =>
    existsSync(path) ? null : { kind, reason: `${what} not found (${path})` };

/**
 * `events`: whether throughput rows record Poolscope's `--events` (instance start times, live
 * instances); the I/O rows always do, since live instances are their point.
 */
export function allSetups(options: { events: boolean }): BenchSetup[] {
  const events = options.events;
  // jco is an installed tool (skip without it); the guests are built by the bench itself (fail without them).
  const jcoReady = (): Unavailable | null =>
    needs(JCO_BIN, 'jco')() ?? needs(HELLO_WASM, 'hello.wasm (built by node assets/guests/build.ts)', 'failed')();
  const jcoJsReady = (): Unavailable | null =>
    needs(JCO_BIN, 'jco')() ?? needs(JS_HELLO_WASM, 'js-hello.wasm (built by node assets/guests/build.ts)', 'failed')();
  return [
    {
      id: 'node-http',
      label: 'bare node:http',
      group: 'throughput',
      kind: 'node',
      path: '/',
      args: [NODE_HELLO],
      events: false,
    },
    {
      id: 'jco-default',
      label: 'jco serve (one shared instance)',
      group: 'throughput',
      kind: 'jco',
      path: '/',
      args: jcoServe([]),
      events: false,
      unavailable: jcoReady,
    },
    {
      id: 'jco-isolate-instance',
      label: 'jco serve --isolate-requests instance',
      group: 'throughput',
      kind: 'jco',
      path: '/',
      args: jcoServe(['--isolate-requests', 'instance']),
      events: false,
      unavailable: jcoReady,
    },
    {
      id: 'jco-isolate-worker',
      label: 'jco serve --isolate-requests worker',
      group: 'throughput',
      kind: 'jco',
      path: '/',
      args: jcoServe(['--isolate-requests', 'worker']),
      events: false,
      unavailable: jcoReady,
    },
    {
      id: 'poolscope-p2-reuse-1',
      label: 'Poolscope p2, reuse 1',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope('demo:hello', ['--max-instance-reuse-count', '1']),
      events,
    },
    {
      id: 'poolscope-p2-reuse-128',
      label: 'Poolscope p2, reuse 128',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope('demo:hello', ['--max-instance-reuse-count', '128']),
      events,
    },
    {
      id: 'poolscope-p3-default',
      label: 'Poolscope p3, defaults (reuse 128, concurrency 16)',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope(P3_HELLO, []),
      events,
      unavailable: needs(P3_HELLO, 'p3 hello fixture'),
    },
    {
      id: 'poolscope-p3-reuse-1',
      label: 'Poolscope p3, reuse 1',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope(P3_HELLO, ['--max-instance-reuse-count=1']),
      events,
      unavailable: needs(P3_HELLO, 'p3 hello fixture'),
    },
    {
      id: 'poolscope-p3-concurrency-1',
      label: 'Poolscope p3, concurrency 1',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope(P3_HELLO, ['--max-instance-concurrent-reuse-count=1']),
      events,
      unavailable: needs(P3_HELLO, 'p3 hello fixture'),
    },
    // The same hello answer from a componentize-js (StarlingMonkey) component: ~14 MB, so an
    // instance costs far more to start than the 7 KB WAT one, with Poolscope and with jco serve.
    {
      id: 'poolscope-js-reuse-1',
      label: 'Poolscope js-hello, reuse 1',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope('demo:js-hello', ['--max-instance-reuse-count', '1']),
      events,
      quickDurationMs: 5000,
    },
    {
      id: 'poolscope-js-reuse-128',
      label: 'Poolscope js-hello, reuse 128',
      group: 'throughput',
      kind: 'poolscope',
      path: '/',
      args: poolscope('demo:js-hello', ['--max-instance-reuse-count', '128']),
      events,
    },
    {
      id: 'jco-js-default',
      label: 'jco serve js-hello (one shared instance)',
      group: 'throughput',
      kind: 'jco',
      path: '/',
      args: jcoServe([], JS_HELLO_WASM),
      events: false,
      unavailable: jcoJsReady,
    },
    {
      id: 'jco-js-isolate-instance',
      label: 'jco serve js-hello --isolate-requests instance',
      group: 'throughput',
      kind: 'jco',
      path: '/',
      args: jcoServe(['--isolate-requests', 'instance'], JS_HELLO_WASM),
      events: false,
      quickDurationMs: 5000,
      unavailable: jcoJsReady,
    },
    {
      id: 'io-concurrent',
      label: 'I/O 40 ms, p3 concurrent reuse (default 16)',
      group: 'io',
      kind: 'poolscope',
      path: '/?ms=40',
      args: poolscope('demo:p3-delay', []),
      events: true,
    },
    {
      id: 'io-serial',
      label: 'I/O 40 ms, p3 concurrency 1',
      group: 'io',
      kind: 'poolscope',
      path: '/?ms=40',
      args: poolscope('demo:p3-delay', ['--max-instance-concurrent-reuse-count', '1']),
      events: true,
    },
  ];
}

/** Poolscope refusals that mean "this row cannot run yet", not "something broke". */
export function skipReason(output: string): string | null {
  const line = output.split('\n').find((l) => /not implemented yet|unknown demo guest/.test(l));
  return line ? line.replace(/^error:\s*/, '').trim() : null;
}
