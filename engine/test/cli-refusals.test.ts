/**
 * wasmtime `serve` flags Poolscope does not take are refused by name, in one line, exit 1, before
 * anything loads; none is silently accepted. The real CLI, as a child process, for each way a
 * flag is refused (every name and reason is unit-tested in engine/cli/parse.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliRunsStoppedAfterTests } from './support/cli.ts';

/** Every CLI these tests start: one a failed assertion left running is killed at the end. */
const cli = cliRunsStoppedAfterTests();

/** Runs `each` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await each(items[next++]!);
      } catch (error) {
        failed = true; // start no more
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** args after `serve demo:hello` → the whole of stderr's one line must match. */
const REFUSALS: Array<[args: string[], line: RegExp]> = [
  // Outside the -W/-S/-O groups (commander does not know them; refused by name and spelling).
  [
    ['--profile', 'guest'],
    /^error: --profile is not supported by Poolscope: wasmtime's profilers do not see guests running on V8; .+$/,
  ],
  [
    ['-C', 'cache=n'],
    /^error: -C is not supported by Poolscope: V8 compiles the guest, so wasmtime's code generation options \(-C cache, -C compiler, …\) do not apply; .+$/,
  ],
  [['-Ccache=n'], /^error: -C cache is not supported by Poolscope: V8 compiles the guest/],
  [
    ['--max-concurrent-connections', '10'],
    /^error: --max-concurrent-connections is not supported by Poolscope: Node's HTTP server can only drop connections past a limit .+$/,
  ],
  [['--preload', 'a=b.wasm'], /^error: --preload is not supported by Poolscope: a `wasmtime run` flag: .+$/],
  [['--fuel', '1000'], /^error: --fuel is not supported by Poolscope: .*\(wasmtime spells it -W fuel now\)$/],
  [
    ['--tcplisten', '127.0.0.1:9000'],
    /^error: --tcplisten is not supported by Poolscope: guests cannot be given listening sockets .+$/,
  ],
  // Inside the groups, by option name (long spellings too).
  [
    ['-W', 'fuel=1000'],
    /^error: -W fuel is not supported by Poolscope: Poolscope counts fuel only to interrupt guests at -W timeout; .+$/,
  ],
  [['--wasi', 'cli,nn'], /^error: -S nn is not supported by Poolscope: Poolscope does not implement wasi-nn$/],
  [['-S', 'inherit-network'], /^error: -S inherit-network is not supported by Poolscope: guests get no network: .+$/],
  [
    ['-O', 'pooling-total-memories=0'],
    /^error: -O pooling-total-memories is not supported by Poolscope: V8 compiles and allocates the instances, .+$/,
  ],
  // A malformed value of a flag Poolscope takes: commander's one line, naming the flag.
  [
    ['--dir', 'a::b::c'],
    /^error: option '--dir <host\[::guest\]>' argument 'a::b::c' is invalid\. 'a::b::c' has more than one '::' .+$/,
  ],
];

test('wasmtime flags Poolscope does not take: exit 1 and one line naming the flag and why', async () => {
  // Two at a time: each is a Node process loading Poolscope.
  await inBatches(REFUSALS, 2, async ([args, line]) => {
    const { code, stderr, stdout } = await cli(['serve', 'demo:hello', '--addr', '127.0.0.1:0', ...args]).exited;
    assert.equal(code, 1, `${args.join(' ')}: ${stderr}`);
    assert.equal(stdout, '');
    assert.equal(stderr.split('\n').length, 2, `${args.join(' ')}: one line, got ${JSON.stringify(stderr)}`);
    assert.match(stderr.trimEnd(), line, args.join(' '));
  });
});

test('accepted wasmtime flags are no-ops only where Poolscope already does what they ask', async () => {
  // -S cli,p3,http (always linked), network off (never any), -O pooling-allocator (always capped),
  // -W component-model(-async) (always on): accepted, and the server starts.
  const run = cli([
    'serve',
    'demo:hello',
    '--addr',
    '127.0.0.1:0',
    '-Scli,p3,http',
    '-S',
    'tcp=n,udp=n',
    '-O',
    'pooling-allocator',
    '-W',
    'component-model,component-model-async,timeout=10s',
  ]);
  await run.serving;
  run.child.kill('SIGINT');
  assert.equal((await run.exited).code, 0);
});
