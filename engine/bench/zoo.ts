#!/usr/bin/env node
/**
 * Real-toolchain guests (issue 14): for each guest built by a toolchain nobody here wrote the
 * runtime of (componentize-js, componentize-qjs, wasmtime's Rust test programs) and one WAT demo
 * as the baseline, through the real CLI (`poolscope serve`, one child process per step, real HTTP
 * over loopback):
 *
 *  1. cold start: POOLSCOPE_CACHE_DIR is a new, empty directory, so the start includes jco's
 *     transpile and the interrupt instrumentation; the first request is sent as soon as the
 *     server prints "Serving HTTP on". Then `--requests` sequential requests (one keep-alive
 *     connection) at `--max-instance-reuse-count 1` are checked against the guest's expected answer.
 *  2. warm start: the same cache directory; `--max-instance-reuse-count 128 --max-instances 1`
 *     (so sequential requests stay on one instance, as the counters' expected sequence assumes)
 *     with `--leak-check all --leak-check-unsafe-methods --events FILE`: the first request's
 *     latency, the answers checked at reuse 128, and what the leak detector said about each
 *     reused answer (`leak.checked` events; the script waits for every check before the next request).
 *  3. throughput: a third server (warm cache, reuse 128, default knobs otherwise: p3 keeps its
 *     concurrent reuse of 16), `-c` closed-loop clients (autocannon, as bench.ts): a warm-up of at
 *     least `--warmup` that goes on until the rate is steady (at most `--max-warmup`), then
 *     `--duration` measured; peak RSS of the server over its life (sampled VmRSS and VmHWM).
 *
 *   node engine/bench/zoo.ts [--duration 5s] [--warmup 2s] [--max-warmup 30s] [-c 50] [--requests 4]
 *                            [--only id,id] [--list] [--json FILE] [--no-build] [--quick]
 *
 * Prints one Markdown table (and notes) on stdout, progress on stderr. Like bench.ts it asserts
 * no thresholds, and a guest served wrongly is a finding in the table, not an exit code: it exits
 * 1 only when a server fails to start or dies.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { guestPath, zooGuestPath } from '../../assets/guests/build.ts';
import { duration } from '../cli/parse.ts';
import { runLoad, type HttpMethod, type LoadProgressUpdate } from '../loadgen/index.ts';
import { tcpAddress } from '../server/listen.ts';
import {
  MemorySampler,
  lastOutput,
  scratchFolder,
  startProcess,
  waitForServingUrl,
  type ServerProcess,
} from './processes.ts';
import { int, machineInfo, ms } from './report.ts';
import { REPO_ROOT, poolscope } from './setups.ts';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/wasmtime-test-programs/', import.meta.url));
/** A cold start transpiles and instruments a 14 MB StarlingMonkey core: generous on a busy 2-core machine. */
const START_TIMEOUT_MS = 300_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Every reused answer's replay on a fresh instance must be judged within this. */
const LEAK_CHECK_TIMEOUT_MS = 90_000;
const GUEST_BUILD_TIMEOUT_MS = 10 * 60_000;

// --- the guests ---

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Probe {
  method: HttpMethod;
  /** Path and query; `upstream` is the local node:http upstream's origin (for the fetch() proxy). */
  path: (upstream: string) => string;
  headers?: Record<string, string>;
  body?: string;
}

type LeakVerdictName = 'clean' | 'differs' | 'failed-on-reuse';

interface ZooGuest {
  id: string;
  /** What `poolscope serve` is given: `demo:<name>` or a path. */
  component: string;
  /** The component file (for its size). */
  file: string;
  toolchain: string;
  world: 'p2' | 'p3';
  /** More `poolscope serve` flags, for every server of this guest. */
  args?: string[];
  /** The request checked for correctness (and, unless `load` says otherwise, the load's request). */
  probe: Probe;
  load?: Probe;
  /** What is wrong with the `i`-th answer (from 0) of a sequence at `reuse`, or null when it is right. */
  check: (answer: Answer, i: number, reuse: number) => string | null;
  /** Checked on the whole server output after a sequence (e.g. a timeout message on stderr). */
  checkOutput?: (output: string) => string | null;
  /** A wrong answer at this reuse that is known and expected (the guest's own bug), with why. */
  knownFailure?: { reuse: number; why: string };
  /** What the leak detector should say; anything else is flagged. */
  expectedLeak: LeakVerdictName | 'not checked';
  /** false: no throughput row (a guest that never answers on its own). */
  throughput?: boolean;
  /** false: the reuse-128 server gets no `--max-instances 1` (an instance that lingers after a timeout would block the next request). */
  oneInstance?: boolean;
  note?: string;
}

const HELLO = 'Hello, WASI!';
const ECHO_BODY = 'ping pong';
const get = (path: string): Probe => ({ method: 'GET', path: () => path });
const echoProbe: Probe = {
  method: 'POST',
  path: () => '/some/path?q=1',
  headers: { 'x-hello': 'world', 'content-type': 'text/plain' },
  body: ECHO_BODY,
};

function expectText(status: number, body: string) {
  return (a: Answer): string | null =>
    a.status === status && a.body === body ? null : `expected ${status} ${JSON.stringify(body)}`;
}

/** count=1 on every request without reuse; count=1, 2, 3, … on one reused instance. */
function expectCount(a: Answer, i: number, reuse: number): string | null {
  const expected = `count=${reuse === 1 ? 1 : i + 1}`;
  return a.status === 200 && a.body === expected ? null : `expected 200 ${JSON.stringify(expected)}`;
}

/** The request's body and x-hello back; the zoo's echo guests add x-echo-method and x-echo-path. */
function expectEcho(withEchoHeaders: boolean) {
  return (a: Answer): string | null => {
    const wrong: string[] = [];
    if (a.status !== 200) wrong.push('status 200');
    if (a.body !== ECHO_BODY) wrong.push(`body ${JSON.stringify(ECHO_BODY)}`);
    if (a.headers['x-hello'] !== 'world') wrong.push('x-hello: world');
    if (withEchoHeaders && a.headers['x-echo-method'] !== 'POST') wrong.push('x-echo-method: POST');
    if (withEchoHeaders && a.headers['x-echo-path'] !== '/some/path?q=1') wrong.push('x-echo-path: /some/path?q=1');
    return wrong.length === 0 ? null : `expected ${wrong.join(', ')}`;
  };
}

const UPSTREAM_PATH = '/up?a=1';
const UPSTREAM_STATUS = 203;
const UPSTREAM_BODY = `upstream saw GET ${UPSTREAM_PATH}`;

const SIZE_OF_WAT = 'WAT (hand-written)';
const CJS = 'componentize-js (StarlingMonkey)';
const CQJS = 'componentize-qjs (QuickJS)';
const RUST = "wasmtime's test programs (Rust)";

function zooGuests(): ZooGuest[] {
  return [
    {
      id: 'hello',
      component: 'demo:hello',
      file: guestPath('hello'),
      toolchain: SIZE_OF_WAT,
      world: 'p2',
      probe: get('/'),
      check: expectText(200, HELLO),
      expectedLeak: 'clean',
      note: 'the baseline',
    },
    {
      id: 'js-hello',
      component: 'demo:js-hello',
      file: guestPath('js-hello'),
      toolchain: CJS,
      world: 'p2',
      probe: get('/'),
      check: expectText(200, HELLO),
      expectedLeak: 'clean',
    },
    {
      id: 'js-counter',
      component: 'demo:js-counter',
      file: guestPath('js-counter'),
      toolchain: CJS,
      world: 'p2',
      probe: get('/'),
      check: expectCount,
      expectedLeak: 'differs',
    },
    {
      id: 'js-fetch-event',
      component: 'demo:js-fetch-event',
      file: zooGuestPath('js-fetch-event'),
      toolchain: `${CJS}, fetch event`,
      world: 'p2',
      probe: get('/'),
      check: expectText(200, 'Hello from a fetch event!'),
      knownFailure: {
        reuse: 128,
        why: 'StarlingMonkey\'s "FetchEvent#respondWith can\'t be called twice" (a reused instance sets no response: 500)',
      },
      expectedLeak: 'failed-on-reuse',
    },
    {
      id: 'zoo-js-echo',
      component: zooGuestPath('zoo-js-echo'),
      file: zooGuestPath('zoo-js-echo'),
      toolchain: `${CJS}, raw wasi:http`,
      world: 'p2',
      probe: echoProbe,
      check: expectEcho(true),
      expectedLeak: 'clean',
    },
    {
      id: 'zoo-js-fetch',
      component: zooGuestPath('zoo-js-fetch'),
      file: zooGuestPath('zoo-js-fetch'),
      toolchain: `${CJS}, fetch()`,
      world: 'p2',
      args: ['--allow-http'],
      probe: { method: 'GET', path: (upstream) => `/proxy?url=${encodeURIComponent(`${upstream}${UPSTREAM_PATH}`)}` },
      check: (a) =>
        a.status === UPSTREAM_STATUS &&
        a.body === UPSTREAM_BODY &&
        a.headers['x-upstream'] === 'yes' &&
        a.headers['x-zoo-upstream-status'] === String(UPSTREAM_STATUS)
          ? null
          : `expected ${UPSTREAM_STATUS} ${JSON.stringify(UPSTREAM_BODY)} with x-upstream and x-zoo-upstream-status`,
      expectedLeak: 'clean',
      note: 'proxies every request to a node:http upstream in the bench process (--allow-http)',
    },
    {
      id: 'p3-hello',
      component: 'demo:p3-hello',
      file: guestPath('p3-hello'),
      toolchain: CQJS,
      world: 'p3',
      probe: get('/'),
      check: expectText(200, HELLO),
      expectedLeak: 'clean',
    },
    {
      id: 'p3-counter',
      component: 'demo:p3-counter',
      file: guestPath('p3-counter'),
      toolchain: CQJS,
      world: 'p3',
      probe: get('/'),
      check: expectCount,
      expectedLeak: 'differs',
    },
    {
      id: 'zoo-qjs-p3-headers',
      component: zooGuestPath('zoo-qjs-p3-headers'),
      file: zooGuestPath('zoo-qjs-p3-headers'),
      toolchain: CQJS,
      world: 'p3',
      probe: echoProbe,
      check: expectEcho(true),
      expectedLeak: 'clean',
    },
    {
      id: 'p3-cli-serve-hello-world',
      component: join(FIXTURES, 'p3-cli-serve-hello-world.wasm'),
      file: join(FIXTURES, 'p3-cli-serve-hello-world.wasm'),
      toolchain: RUST,
      world: 'p3',
      probe: get('/'),
      check: expectText(200, HELLO),
      expectedLeak: 'clean',
    },
    {
      id: 'p3-http-echo',
      component: join(FIXTURES, 'p3-http-echo.wasm'),
      file: join(FIXTURES, 'p3-http-echo.wasm'),
      toolchain: RUST,
      world: 'p3',
      probe: echoProbe,
      check: expectEcho(false),
      expectedLeak: 'clean',
    },
    {
      id: 'p3-cli-serve-sleep',
      component: join(FIXTURES, 'p3-cli-serve-sleep.wasm'),
      file: join(FIXTURES, 'p3-cli-serve-sleep.wasm'),
      toolchain: RUST,
      world: 'p3',
      // wasmtime's p3_cli_serve_sleep uses -Wtimeout=100us; 100ms leaves room on a busy machine.
      args: ['-W', 'timeout=100ms'],
      probe: get('/'),
      check: (a) => (a.status >= 500 ? null : 'expected a 5xx (the guest never answers; -W timeout=100ms)'),
      checkOutput: (output) => (output.includes('guest timed out') ? null : "expected 'guest timed out' on stderr"),
      // Each timed-out request retires its instance (drained after request-expired): no answer
      // comes from a reused instance, so there is nothing to replay.
      expectedLeak: 'not checked',
      throughput: false,
      oneInstance: false,
      note: 'never answers: served correctly = every request 5xx after -W timeout=100ms with "guest timed out" on stderr (as wasmtime\'s p3_cli_serve_sleep); first request = time to that 5xx; every timed-out request retires its instance, so no answer comes from a reused one and the leak detector has nothing to replay; no throughput row',
    },
  ];
}

// --- flags ---

interface Flags {
  duration?: number;
  warmup?: number;
  maxWarmup?: number;
  connections: number;
  requests?: number;
  only?: string[];
  list: boolean;
  json?: string;
  build: boolean;
  quick: boolean;
}

const positive = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`'${value}' is not a whole number of at least 1`);
  return Number(value);
};

const program = new Command('zoo')
  .description(
    "real-toolchain guests (issue 14): served correctly at reuse 1 and 128, the leak detector's verdict, first-request latency (cold and warm cache), req/s and peak RSS under load",
  )
  .addOption(new Option('--duration <dur>', 'measured load per guest (default 5s, --quick 1s)').argParser(duration))
  .addOption(
    new Option(
      '--warmup <dur>',
      'load before measuring, at least (default 2s, --quick 0 for none); it goes on until the rate is steady, up to --max-warmup',
    ).argParser(duration),
  )
  .addOption(new Option('--max-warmup <dur>', 'the longest warm-up (default 30s)').argParser(duration))
  .addOption(new Option('-c, --connections <n>', 'concurrent keep-alive connections').default(50).argParser(positive))
  .addOption(
    new Option(
      '--requests <n>',
      'sequential requests checked at each reuse setting (default 4, --quick 3; at least 2)',
    ).argParser(positive),
  )
  .addOption(
    new Option('--only <ids>', 'only these guests (comma-separated; see --list)').argParser((v: string) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  )
  .option('--list', 'list the guests and exit', false)
  .option('--json <file>', 'also write the results as JSON to FILE')
  .option('--no-build', 'do not run the guest build (node assets/guests/build.ts) first')
  .option('--quick', 'smoke mode: 1 s of load without warm-up, 3 requests per check', false)
  .showHelpAfterError();

program.parse();
const flags = program.opts<Flags>();
const guests = zooGuests();
if (flags.list) {
  for (const g of guests) process.stdout.write(`${g.id.padEnd(28)} ${g.toolchain}, ${g.world}\n`);
  process.exit(0);
}
const unknown = (flags.only ?? []).filter((id) => !guests.some((g) => g.id === id));
if (unknown.length > 0) program.error(`error: unknown guest id(s) ${unknown.join(', ')} (see --list)`);
const only = flags.only;
const selected = only ? guests.filter((g) => only.includes(g.id)) : guests;
const settings = {
  durationMs: flags.duration ?? (flags.quick ? 1000 : 5000),
  warmupMs: flags.warmup ?? (flags.quick ? 0 : 2000),
  maxWarmupMs: flags.maxWarmup ?? 30_000,
  connections: flags.connections,
  requests: Math.max(2, flags.requests ?? (flags.quick ? 3 : 4)),
};

const log = (line: string): void => void process.stderr.write(`${line}\n`);
let upstream: Server | null = null;
const { scratch, cleanUp } = scratchFolder('poolscope-zoo-bench-', log, () => upstream?.close());

// --- HTTP ---

function exchange(url: string, probe: Probe, upstreamOrigin: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(probe.path(upstreamOrigin), url).href;
    const req = request(
      target,
      { method: probe.method, headers: probe.headers ?? {}, agent, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(probe.body);
  });
}

/** The local upstream zoo-js-fetch proxies to: a fixed status, header and body (chunked: Node's hop-by-hop headers included). */
async function startUpstream(): Promise<string> {
  const server = createServer((req, res) => {
    res.setHeader('x-upstream', 'yes');
    res.statusCode = UPSTREAM_STATUS;
    res.end(`upstream saw ${req.method} ${req.url}`);
  });
  upstream = server;
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${tcpAddress(server).port}`;
}

// --- the measurements ---

interface FirstRequest {
  /** Spawn → "Serving HTTP on". */
  startMs: number;
  /** Spawn → the first answer's end. */
  spawnToAnswerMs: number;
  /** "Serving HTTP on" → the first answer's end. */
  servingToAnswerMs: number;
  status: number;
}

interface Correctness {
  reuse: number;
  ok: boolean;
  /** The answers as `status body` (bodies cut at 80 characters), and what was wrong with each. */
  answers: string[];
  problems: string[];
  /** Matches the guest's known failure at this reuse. */
  known: boolean;
  /** Instances the pool started for the sequence (from events; null when not recorded). */
  instances: number | null;
}

interface LeakResult {
  verdict: LeakVerdictName | 'error' | 'not checked';
  checks: Record<string, number>;
  skipped: Record<string, number>;
  /** The first finding's differences (or an error's message). */
  detail: string[];
  expected: boolean;
}

interface Throughput {
  requestsPerSecond: number;
  responses: number;
  non2xx: number;
  /** Client-side errors, timeouts included (the load's timeout is 10 s). */
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  /** The measured window (about --duration; progress comes every 100 ms). */
  windowMs: number;
  peakRssMiB: number;
  processes: number;
  /** How long the warm-up lasted, and whether the rate was steady when it ended (false: it hit --max-warmup). */
  warmupMs: number;
  steady: boolean;
}

interface GuestResult {
  id: string;
  toolchain: string;
  world: ZooGuest['world'];
  sizeBytes: number | null;
  status: 'ok' | 'failed';
  reason?: string;
  cold?: FirstRequest;
  warm?: FirstRequest;
  reuse1?: Correctness;
  reuse128?: Correctness;
  leak?: LeakResult;
  throughput?: Throughput | null;
  note?: string;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const short = (a: Answer): string =>
  `${a.status} ${JSON.stringify(a.body.length > 80 ? `${a.body.slice(0, 80)}…` : a.body)}`;

function serve(g: ZooGuest, cacheDir: string, extra: string[]): { server: ServerProcess; spawnedAt: number } {
  const spawnedAt = performance.now();
  const server = startProcess(poolscope(g.component, [...(g.args ?? []), ...extra]), {
    cwd: REPO_ROOT,
    env: { ...process.env, POOLSCOPE_CACHE_DIR: cacheDir },
  });
  return { server, spawnedAt };
}

/** Waits for "Serving HTTP on", sends the first request at once, then the rest one after another on the same connection. */
async function firstAndSequence(
  g: ZooGuest,
  server: ServerProcess,
  spawnedAt: number,
  upstreamOrigin: string,
  afterEach: (i: number) => Promise<void>,
): Promise<{ first: FirstRequest; answers: Answer[] }> {
  const base = await waitForServingUrl(server, START_TIMEOUT_MS);
  const servingAt = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const firstAnswer = await exchange(base, g.probe, upstreamOrigin, agent);
    const now = performance.now();
    const first: FirstRequest = {
      startMs: round1(servingAt - spawnedAt),
      spawnToAnswerMs: round1(now - spawnedAt),
      servingToAnswerMs: round1(now - servingAt),
      status: firstAnswer.status,
    };
    const answers: Answer[] = [firstAnswer];
    await afterEach(0);
    for (let i = 1; i < settings.requests; i++) {
      answers.push(await exchange(base, g.probe, upstreamOrigin, agent));
      await afterEach(i);
    }
    return { first, answers };
  } finally {
    agent.destroy();
  }
}

function judge(g: ZooGuest, reuse: number, answers: Answer[], output: string, instances: number | null): Correctness {
  const problems: string[] = [];
  answers.forEach((a, i) => {
    const wrong = g.check(a, i, reuse);
    if (wrong) problems.push(`request ${i + 1}: ${short(a)}, ${wrong}`);
  });
  const outputProblem = g.checkOutput?.(output);
  if (outputProblem) problems.push(outputProblem);
  const ok = problems.length === 0;
  return { reuse, ok, answers: answers.map(short), problems, known: !ok && g.knownFailure?.reuse === reuse, instances };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface EventLine {
  type?: string;
  requestId?: number;
  reuseCount?: number;
  verdict?: string;
  differences?: string[];
  message?: string | null;
  counts?: Record<string, number>;
}

function readEvents(file: string): EventLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const events: EventLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      // A line of our own `--events` file (PoolEvent JSON); EventLine names the fields read, all optional.
      events.push(JSON.parse(line) as EventLine);
    } catch {
      // a line still being written
    }
  }
  return events;
}

/** Reused answers (`request.accepted` with reuseCount ≥ 2) not yet judged (`leak.checked`) or counted as skipped. */
function pendingLeakChecks(events: EventLine[]): number {
  const reused = events.filter((e) => e.type === 'request.accepted' && (e.reuseCount ?? 0) >= 2).length;
  const checked = events.filter((e) => e.type === 'leak.checked').length;
  const skipped = events
    .filter((e) => e.type === 'leak.skipped')
    .reduce((n, e) => n + Object.values(e.counts ?? {}).reduce((a, b) => a + b, 0), 0);
  return reused - checked - skipped;
}

/** Whether the events hold the end of request `requestId` (its answer can reach the client before its events reach the file). */
function requestEnded(events: EventLine[], requestId: number): boolean {
  return events.some(
    (e) => (e.type === 'request.completed' || e.type === 'request.failed') && e.requestId === requestId,
  );
}

/**
 * After the answer to request `requestId` (a fresh server numbers them from 0 as they arrive, and
 * they arrive one at a time): waits until its events are in the file, then until every reused
 * answer so far has been judged or counted as skipped, so the next request never finds the
 * detector's one replay slot busy.
 */
async function waitForLeakChecks(file: string, server: ServerProcess, requestId: number): Promise<void> {
  const deadline = Date.now() + LEAK_CHECK_TIMEOUT_MS;
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
  const endDeadline = Date.now() + 10_000;
  while (!requestEnded(readEvents(file), requestId) && Date.now() < endDeadline) await pause();
  while (pendingLeakChecks(readEvents(file)) > 0) {
    if (server.hasExited()) throw new Error('the server exited while the leak detector was replaying');
    if (Date.now() > deadline)
      throw new Error(`the leak detector did not judge every reused answer within ${LEAK_CHECK_TIMEOUT_MS / 1000} s`);
    await pause();
  }
}

function leakResult(g: ZooGuest, events: EventLine[]): LeakResult {
  const checks: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  for (const e of events) {
    if (e.type === 'leak.checked' && e.verdict) checks[e.verdict] = (checks[e.verdict] ?? 0) + 1;
    if (e.type === 'leak.skipped')
      for (const [why, n] of Object.entries(e.counts ?? {})) skipped[why] = (skipped[why] ?? 0) + n;
  }
  const findings = events.filter((e) => e.type === 'leak.checked');
  const firstOf = (verdict: string): EventLine | undefined => findings.find((e) => e.verdict === verdict);
  let verdict: LeakResult['verdict'];
  let detail: string[] = [];
  if (checks['failed-on-reuse']) {
    verdict = 'failed-on-reuse';
    detail = firstOf('failed-on-reuse')?.differences ?? [];
  } else if (checks.leak) {
    verdict = 'differs';
    detail = firstOf('leak')?.differences ?? [];
  } else if (checks.error) {
    verdict = 'error';
    detail = [firstOf('error')?.message ?? ''];
  } else if (checks.same) verdict = 'clean';
  else verdict = 'not checked';
  return { verdict, checks, skipped, detail, expected: verdict === g.expectedLeak };
}

async function measureThroughput(g: ZooGuest, cacheDir: string, upstreamOrigin: string): Promise<Throughput> {
  const { server } = serve(g, cacheDir, ['--max-instance-reuse-count', '128']);
  const sampler = new MemorySampler(server.pid);
  let finished = false;
  try {
    const base = await waitForServingUrl(server, START_TIMEOUT_MS);
    const probe = g.load ?? g.probe;
    const window = await loadWithWindow({
      url: new URL(probe.path(upstreamOrigin), base).href,
      method: probe.method,
      connections: settings.connections,
      ...(probe.headers ? { headers: probe.headers } : {}),
      ...(probe.body !== undefined ? { body: probe.body } : {}),
    });
    if (server.hasExited()) throw new Error('the server exited during the load');
    const memory = sampler.finish();
    finished = true;
    return { ...window, peakRssMiB: round1(memory.peakBytes / 2 ** 20), processes: memory.processes };
  } finally {
    if (!finished) sampler.finish();
    await server.stop();
  }
}

type Counts = Pick<LoadProgressUpdate, 'elapsedMs' | 'responses' | 'errors' | 'timeouts' | 'statusCounts'>;

/**
 * One continuous closed-loop run, so the pool never sits idle between warm-up and measurement (a
 * second run would start after the idle timeout of 1 s on a busy machine: starting a new load
 * thread takes seconds there, and the warmed instances would be gone). The warm-up is bench.ts's:
 * at least `--warmup`, then until three consecutive one-second rates are non-zero and each within
 * 15% of the one before, at most `--max-warmup` (50 clients meeting a cold pool of
 * componentize-js instances, ~1 s each to start on two executors, need tens of seconds on a busy
 * 2-core machine). Then `--duration` is measured from the run's cumulative counts.
 */
async function loadWithWindow(
  load: Parameters<typeof runLoad>[0],
): Promise<Omit<Throughput, 'peakRssMiB' | 'processes'>> {
  const controller = new AbortController();
  const zero: Counts = { elapsedMs: 0, responses: 0, errors: 0, timeouts: 0, statusCounts: {} };
  const rates: number[] = [];
  let nextSecond = 1000;
  let steady = settings.warmupMs === 0;
  let from: Counts | null = settings.warmupMs === 0 ? zero : null;
  let to: Counts | null = null;
  const snapshot = (u: LoadProgressUpdate): Counts => ({
    elapsedMs: u.elapsedMs,
    responses: u.responses,
    errors: u.errors,
    timeouts: u.timeouts,
    statusCounts: { ...u.statusCounts },
  });
  const summary = await runLoad(
    {
      ...load,
      durationMs: settings.maxWarmupMs + settings.durationMs + 5000,
      signal: controller.signal,
      progressIntervalMs: 100,
    },
    (u) => {
      if (to) return;
      if (from) {
        if (u.elapsedMs - from.elapsedMs >= settings.durationMs) {
          to = snapshot(u);
          controller.abort();
        }
        return;
      }
      if (u.elapsedMs < nextSecond) return;
      nextSecond += 1000;
      rates.push(u.rate);
      const last = rates.slice(-3);
      steady =
        last.length === 3 &&
        last.every((r) => r > 0) &&
        last.every((r, i) => {
          const previous = last[i - 1];
          return previous === undefined || Math.abs(r - previous) <= 0.15 * previous;
        });
      if ((u.elapsedMs >= settings.warmupMs && steady) || u.elapsedMs >= settings.maxWarmupMs) from = snapshot(u);
    },
  );
  const start: Counts = from ?? zero;
  const end: Counts = to ?? {
    elapsedMs: summary.elapsedMs,
    responses: summary.responses,
    errors: summary.errors.total,
    timeouts: summary.errors.timeouts,
    statusCounts: summary.statusCounts,
  };
  const statusCounts: Record<string, number> = {};
  for (const [status, n] of Object.entries(end.statusCounts)) {
    const d = n - (start.statusCounts[status] ?? 0);
    if (d > 0) statusCounts[status] = d;
  }
  const responses = end.responses - start.responses;
  const windowMs = end.elapsedMs - start.elapsedMs;
  return {
    requestsPerSecond: windowMs > 0 ? round1((responses * 1000) / windowMs) : 0,
    responses,
    non2xx: Object.entries(statusCounts).reduce((n, [status, count]) => (status.startsWith('2') ? n : n + count), 0),
    errors: end.errors - start.errors,
    timeouts: end.timeouts - start.timeouts,
    statusCounts,
    windowMs: Math.round(windowMs),
    warmupMs: Math.round(start.elapsedMs),
    steady,
  };
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

async function measureGuest(g: ZooGuest, upstreamOrigin: string): Promise<GuestResult> {
  const result: GuestResult = {
    id: g.id,
    toolchain: g.toolchain,
    world: g.world,
    sizeBytes: fileSize(g.file),
    status: 'ok',
    ...(g.note ? { note: g.note } : {}),
  };
  if (result.sizeBytes === null)
    return {
      ...result,
      status: 'failed',
      reason: `${g.file} not found (node assets/guests/build.ts builds the guests; the wasmtime programs are in ../shared/fixtures)`,
    };
  const cacheDir = mkdtempSync(join(scratch, `cache-${g.id}-`));
  const step = async <T>(what: string, server: ServerProcess, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new Error(`${what}: ${errorMessage(error)}${lastOutput(server)}`);
    } finally {
      await server.stop();
    }
  };
  try {
    // 1. Cold cache, reuse 1.
    {
      const eventsFile = join(scratch, `${g.id}-cold.jsonl`);
      const { server, spawnedAt } = serve(g, cacheDir, ['--max-instance-reuse-count', '1', '--events', eventsFile]);
      const { first, answers } = await step('cold start, reuse 1', server, () =>
        firstAndSequence(g, server, spawnedAt, upstreamOrigin, async () => {}),
      );
      result.cold = first;
      result.reuse1 = judge(
        g,
        1,
        answers,
        server.output(),
        readEvents(eventsFile).filter((e) => e.type === 'worker.spawned').length,
      );
      log(
        `  ${g.id}: cold start ${int(first.startMs)} ms to "Serving", first answer ${int(first.spawnToAnswerMs)} ms after spawn (${ms(first.servingToAnswerMs)} ms after "Serving"); reuse 1: ${result.reuse1.ok ? 'correct' : `WRONG: ${result.reuse1.problems.join('; ')}`}`,
      );
    }
    // 2. Warm cache, reuse 128, leak detector on every reused answer.
    {
      const eventsFile = join(scratch, `${g.id}-warm.jsonl`);
      const extra = [
        '--max-instance-reuse-count',
        '128',
        '--idle-instance-timeout',
        '60s',
        '--leak-check',
        'all',
        '--leak-check-unsafe-methods',
        '--events',
        eventsFile,
      ];
      if (g.oneInstance !== false) extra.push('--max-instances', '1');
      const { server, spawnedAt } = serve(g, cacheDir, extra);
      const { first, answers } = await step('warm start, reuse 128', server, () =>
        firstAndSequence(g, server, spawnedAt, upstreamOrigin, (i) => waitForLeakChecks(eventsFile, server, i)),
      );
      const output = server.output();
      const events = readEvents(eventsFile);
      result.warm = first;
      result.reuse128 = judge(g, 128, answers, output, events.filter((e) => e.type === 'worker.spawned').length);
      result.leak = leakResult(g, events);
      const leak = result.leak;
      log(
        `  ${g.id}: warm start ${int(first.startMs)} ms to "Serving", first answer ${int(first.spawnToAnswerMs)} ms after spawn (${ms(first.servingToAnswerMs)} ms after "Serving"); reuse 128: ${result.reuse128.ok ? 'correct' : `${result.reuse128.known ? 'wrong, as known' : 'WRONG'}: ${result.reuse128.problems.join('; ')}`}; leaks: ${leak.verdict} ${JSON.stringify(leak.checks)}${Object.keys(leak.skipped).length ? ` skipped ${JSON.stringify(leak.skipped)}` : ''}${leak.detail.length ? ` — ${leak.detail.join(' / ')}` : ''}`,
      );
    }
    // 3. Throughput at reuse 128 (warm cache).
    if (g.throughput === false) result.throughput = null;
    else {
      try {
        result.throughput = await measureThroughput(g, cacheDir, upstreamOrigin);
      } catch (error) {
        throw new Error(`throughput: ${errorMessage(error)}`);
      }
      const t = result.throughput;
      log(
        `  ${g.id}: ${int(t.requestsPerSecond)} req/s at ${settings.connections} clients, ${t.non2xx} non-2xx, ${t.errors} errors, peak RSS ${int(t.peakRssMiB)} MiB; warm-up ${(t.warmupMs / 1000).toFixed(1)} s${t.steady ? '' : ' (not steady)'}`,
      );
    }
    return result;
  } catch (error) {
    return { ...result, status: 'failed', reason: errorMessage(error) };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

// --- the table ---

const WORLD = { p2: 'WASIp2', p3: 'WASIp3' } as const;

function size(bytes: number | null): string {
  if (bytes === null) return '–';
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function zooMarkdown(results: GuestResult[], machine: ReturnType<typeof machineInfo>, loadAtEnd: number[]): string {
  const out: string[] = [];
  const notes: string[] = [];
  const note = (text: string): string => {
    let n = notes.indexOf(text);
    if (n < 0) n = notes.push(text) - 1;
    return `[${n + 1}]`;
  };
  out.push(
    `Machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}; load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${loadAtEnd.join(' ')}.`,
  );
  out.push(
    `Each guest: ${settings.requests} sequential requests checked at reuse 1 (cold cache) and at reuse 128 (warm cache, one instance, \`--leak-check all\`); load: ${settings.connections} concurrent keep-alive clients, ${settings.durationMs / 1000} s measured ${settings.warmupMs > 0 ? `in one continuous run after a warm-up of at least ${settings.warmupMs / 1000} s, longer until the rate is steady (at most ${settings.maxWarmupMs / 1000} s)` : 'from the start (no warm-up)'}, reuse 128 (p3: concurrent reuse 16, the default), one run.`,
  );
  out.push('');
  out.push(
    '| guest | toolchain | world | size | correct@1 | correct@128 | leak verdict | cold first request ms (spawn → answer / "Serving" → answer) | warm first request ms (spawn → answer / "Serving" → answer) | req/s@50 | peak RSS MiB |',
  );
  out.push('|---|---|---|---:|---|---|---|---:|---:|---:|---:|');
  for (const r of results) {
    const guest = selected.find((g) => g.id === r.id);
    // A guest's note goes beside its name, or in its req/s cell when it has no throughput row.
    let marker = guest?.note && r.throughput !== null ? ` ${note(escapeCell(`${r.id}: ${guest.note}`))}` : '';
    // A failed step leaves what the steps before it measured in the row; the rest shows –.
    if (r.status === 'failed') marker += ` **failed** ${note(escapeCell(`${r.id}: ${r.reason ?? ''}`))}`;
    const head = `| ${r.id}${marker} | ${r.toolchain} | ${WORLD[r.world]} | ${size(r.sizeBytes)} |`;
    const correct = (c: Correctness | undefined): string => {
      if (!c) return '–';
      if (c.ok) return `yes (${c.answers.length}/${c.answers.length})`;
      const why = c.known && guest?.knownFailure ? `as expected: ${guest.knownFailure.why}. ` : '';
      return `**no**${c.known ? ' (known)' : ''} ${note(escapeCell(`${r.id} at reuse ${c.reuse}: ${why}${c.problems.join('; ')}`))}`;
    };
    const leak = r.leak
      ? `${r.leak.verdict}${
          r.leak.verdict === 'not checked'
            ? ''
            : ` (${Object.entries(r.leak.checks)
                .map(([v, n]) => `${n} ${v}`)
                .join(', ')})`
        }${r.leak.expected ? (r.leak.verdict === 'clean' ? '' : ', as expected') : ' — **unexpected**'}${
          r.leak.detail.length || Object.keys(r.leak.skipped).length
            ? ` ${note(escapeCell(`${r.id}, leak detector: ${r.leak.detail.join(' / ')}${Object.keys(r.leak.skipped).length ? ` skipped: ${JSON.stringify(r.leak.skipped)}` : ''}`))}`
            : ''
        }`
      : '–';
    const first = (f: FirstRequest | undefined): string =>
      f ? `${int(f.spawnToAnswerMs)} / ${ms(f.servingToAnswerMs)}` : '–';
    let rps = '–';
    let rss = '–';
    if (r.throughput) {
      const t = r.throughput;
      const bad = t.non2xx + t.errors;
      const statuses = Object.entries(t.statusCounts)
        .map(([s, n]) => `${n} × ${s}`)
        .join(', ');
      rps = `${int(t.requestsPerSecond)}${bad > 0 ? ` ${note(escapeCell(`${r.id} under load: ${t.non2xx} non-2xx and ${t.errors} errors (${t.timeouts} of them timeouts after 10 s) of ${t.responses + t.errors} (${statuses})`))}` : ''}`;
      if (!t.steady)
        rps += ` ${note(escapeCell(`${r.id}: the rate was not steady after the longest warm-up (${(t.warmupMs / 1000).toFixed(1)} s): still starting instances?`))}`;
      if (t.responses === 0) rps += ` ${note(escapeCell(`${r.id}: no answer at all in the measured window`))}`;
      rss = int(t.peakRssMiB);
    } else if (r.throughput === null) {
      rps = `– ${note(escapeCell(`${r.id}: ${guest?.note ?? 'no throughput row'}`))}`;
    }
    out.push(
      `${head} ${correct(r.reuse1)} | ${correct(r.reuse128)} | ${leak} | ${first(r.cold)} | ${first(r.warm)} | ${rps} | ${rss} |`,
    );
  }
  if (notes.length > 0) {
    out.push('');
    notes.forEach((text, i) => out.push(`[${i + 1}] ${text}`));
  }
  out.push('');
  out.push(
    'Cold: `POOLSCOPE_CACHE_DIR` a new empty directory (jco transpile and interrupt instrumentation in the start; the OS file cache stays warm). Warm: a second start with the same directory. "Serving" is the server\'s "Serving HTTP on" line; the first request is sent the moment it appears. Peak RSS: the throughput server over its life (warm-up included), the larger of the sampled VmRSS and its VmHWM. Leak verdict: `leak.checked` verdicts over the reused answers at reuse 128 (clean: every replay on a fresh instance answered the same; differs: an answer differed; failed-on-reuse: the reused instance failed where a fresh one answered).',
  );
  return out.join('\n') + '\n';
}

async function main(): Promise<number> {
  const machine = machineInfo();
  log(
    `${machine.nproc} CPUs, ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  if (flags.build) {
    log('building guests (cached) …');
    const build = spawnSync(process.execPath, ['assets/guests/build.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: GUEST_BUILD_TIMEOUT_MS,
    });
    if (build.status !== 0)
      log(`warning: the guest build failed (${build.status ?? build.signal}); guests it builds may fail`);
  }
  const upstreamOrigin = await startUpstream();
  const results: GuestResult[] = [];
  for (const g of selected) {
    const t0 = performance.now();
    log(`${g.id} (${g.toolchain}, ${WORLD[g.world]}) …`);
    const r = await measureGuest(g, upstreamOrigin);
    if (r.status === 'failed') log(`  ${g.id}: failed: ${r.reason}`);
    log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    results.push(r);
  }
  const loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  process.stdout.write(zooMarkdown(results, machine, loadAtEnd));
  if (flags.json) {
    writeFileSync(
      flags.json,
      JSON.stringify(
        { generatedAt: new Date().toISOString(), settings, machine, loadAverageAtEnd: loadAtEnd, results },
        null,
        2,
      ) + '\n',
    );
    log(`wrote ${flags.json}`);
  }
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) log(`failed: ${failed.map((r) => r.id).join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`zoo bench failed: ${error instanceof Error ? (error.stack ?? String(error)) : String(error)}`);
} finally {
  cleanUp();
}
process.exit(code);
