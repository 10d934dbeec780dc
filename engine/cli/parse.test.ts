/** The `serve` flag parsers: --dir, --env, -H, and wasmtime's -W/-S/-O groups. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { dirOption, envVar, headerOption, optOption, wasiOption, wasmOption, wasmtimeBool } from './parse.ts';
import { refusalForUnknownOption, UnsupportedFlagError } from './wasmtime-flags.ts';

const refused = (pattern: RegExp) => (error: unknown) =>
  error instanceof UnsupportedFlagError && pattern.test(error.message);
const invalid = (pattern: RegExp) => (error: unknown) =>
  error instanceof InvalidArgumentError && pattern.test(error.message);

test("--dir HOST[::GUEST]: wasmtime's syntax; repeatable", () => {
  assert.deepEqual(dirOption('/srv/data'), [{ host: '/srv/data', guest: '/srv/data' }]);
  assert.deepEqual(dirOption('.'), [{ host: '.', guest: '.' }]);
  assert.deepEqual(dirOption('/srv/data::/data', dirOption('a')), [
    { host: 'a', guest: 'a' },
    { host: '/srv/data', guest: '/data' },
  ]);
  assert.deepEqual(dirOption('rel/dir::'), [{ host: 'rel/dir', guest: '' }]); // wasmtime takes an empty guest name too
  assert.deepEqual(dirOption('C:x::y'), [{ host: 'C:x', guest: 'y' }]); // a single ':' is part of the path
  assert.throws(() => dirOption('a::b::c'), invalid(/more than one '::'/));
  assert.throws(() => dirOption('::/data'), invalid(/names no host directory/));
  assert.throws(() => dirOption(''), invalid(/names no host directory/));
});

test('--env NAME=VALUE sets; --env NAME inherits, or leaves NAME unset when the host has none', () => {
  delete process.env.POOLSCOPE_PARSE_UNSET;
  process.env.POOLSCOPE_PARSE_SET = 'host value';
  try {
    let env = envVar('FOO=bar');
    env = envVar('BAR', env); // unset here: not passed at all (not as an empty string)
    env = envVar('POOLSCOPE_PARSE_SET', env);
    env = envVar('POOLSCOPE_PARSE_UNSET', env);
    env = envVar('EMPTY=', env);
    env = envVar('EQ=a=b', env);
    env = envVar('FOO=again', env); // repeats are kept, in order, as wasmtime pushes them
    assert.deepEqual(env, [
      ['FOO', 'bar'],
      ['POOLSCOPE_PARSE_SET', 'host value'],
      ['EMPTY', ''],
      ['EQ', 'a=b'],
      ['FOO', 'again'],
    ]);
  } finally {
    delete process.env.POOLSCOPE_PARSE_SET;
  }
  assert.throws(() => envVar('=x'), invalid(/has no variable name/));
  assert.throws(() => envVar(''), invalid(/has no variable name/));
});

test('-H name: value, and -H @file with one header per line', () => {
  assert.deepEqual(headerOption('X-Thing:  a value '), [['x-thing', 'a value ']]);
  assert.deepEqual(headerOption('env:FOO', headerOption('env: BAR')), [
    ['env', 'BAR'],
    ['env', 'FOO'],
  ]);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'poolscope-h-')), 'headers');
  writeFileSync(file, 'a: 1\n\n  \nb: 2\r\n');
  assert.deepEqual(headerOption(`@${file}`), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.throws(() => headerOption('no colon'), invalid(/is missing `:`/));
  assert.throws(() => headerOption('bad name: x'), invalid(/invalid header name/));
  assert.throws(() => headerOption('x: a\u0001b'), invalid(/invalid header value/));
  assert.throws(() => headerOption('@/nonexistent/headers'), invalid(/failed to read header file/));
});

test('wasmtime booleans: nothing, y/yes/true, n/no/false', () => {
  for (const yes of [undefined, 'y', 'yes', 'true']) assert.equal(wasmtimeBool(yes, '-S x'), true);
  for (const no of ['n', 'no', 'false']) assert.equal(wasmtimeBool(no, '-S x'), false);
  assert.throws(() => wasmtimeBool('maybe', '-S x'), invalid(/unknown boolean flag `maybe`/));
});

test('-W: comma lists; timeout and max-memory-size; every other name refused by name, with why', () => {
  assert.deepEqual(wasmOption('timeout=1s,max-memory-size=1MiB'), { timeout: '1s', 'max-memory-size': '1MiB' });
  assert.deepEqual(wasmOption('component-model-async', { timeout: '1' }), {
    timeout: '1',
    'component-model-async': 'y',
  });
  assert.throws(
    () => wasmOption('timeout=1s,fuel=100'),
    refused(/^-W fuel is not supported by Poolscope: .*no fuel budget/),
  );
  assert.throws(
    () => wasmOption('epoch-interruption'),
    refused(/^-W epoch-interruption is not supported by Poolscope: /),
  );
  assert.throws(() => wasmOption('max-instances=3'), refused(/linear memory \(-W max-memory-size\)/));
  assert.throws(() => wasmOption('simd=n'), refused(/^-W simd is not supported by Poolscope: .*V8/));
  assert.throws(() => wasmOption('component-model=n'), refused(/components are required for the serve command/));
  assert.throws(
    () => wasmOption('nonsense'),
    refused(/^-W nonsense is not supported by Poolscope: wasmtime has no such -W option either/),
  );
  assert.throws(() => wasmOption('timeout=1.5s'), invalid(/invalid duration/));
});

test('-S: inherit-env and cwd honoured; always-on options accepted; network off accepted, on refused; the rest refused', () => {
  assert.deepEqual(wasiOption('cli,p3,http'), { cli: 'y', p3: 'y', http: 'y' });
  assert.deepEqual(wasiOption('inherit-env,cwd=/data'), { 'inherit-env': 'y', cwd: '/data' });
  assert.deepEqual(wasiOption('tcp=n,udp=no,allow-ip-name-lookup=false,inherit-network=n'), {
    tcp: 'n',
    udp: 'no',
    'allow-ip-name-lookup': 'false',
    'inherit-network': 'n',
  });
  assert.deepEqual(wasiOption('cli-exit-with-code,network-error-code'), {
    'cli-exit-with-code': 'y',
    'network-error-code': 'y',
  });
  assert.throws(() => wasiOption('p3=n'), refused(/^-S p3=n is not supported by Poolscope: .*always serves WASIp3/));
  assert.throws(() => wasiOption('http=n'), refused(/wasi-http is required for the serve command/));
  assert.throws(() => wasiOption('cli=n'), refused(/always links/));
  assert.throws(() => wasiOption('tcp'), refused(/^-S tcp is not supported by Poolscope: guests get no network/));
  assert.throws(() => wasiOption('inherit-network'), refused(/guests get no network/));
  assert.throws(
    () => wasiOption('cli,nn'),
    refused(/^-S nn is not supported by Poolscope: Poolscope does not implement wasi-nn$/),
  );
  assert.throws(() => wasiOption('tcplisten=127.0.0.1:9'), refused(/listening sockets/));
  assert.throws(() => wasiOption('config,config-var=a=b'), refused(/wasi:config/));
  assert.throws(() => wasiOption('max-resources=10'), refused(/^-S max-resources is not supported by Poolscope: /));
  assert.throws(() => wasiOption('http-outgoing-body-chunk-size=1024'), refused(/not buffered in configurable chunks/));
  assert.throws(() => wasiOption('preview2=n'), refused(/WASIp1/));
  assert.throws(() => wasiOption('nonsense'), refused(/wasmtime has no such -S option either/));
  assert.throws(() => wasiOption('cwd'), invalid(/-S cwd needs a value/));
  assert.throws(() => wasiOption('inherit-env=sometimes'), invalid(/unknown boolean flag/));
});

test('-O: pooling-total-component-instances and pooling-allocator; the rest refused', () => {
  assert.deepEqual(optOption('pooling-allocator,pooling-total-component-instances=8'), {
    'pooling-allocator': 'y',
    'pooling-total-component-instances': '8',
  });
  assert.throws(() => optOption('pooling-allocator=n'), refused(/always capped/));
  assert.throws(
    () => optOption('pooling-total-memories=0'),
    refused(/^-O pooling-total-memories is not supported by Poolscope: .*pooling allocator/),
  );
  assert.throws(() => optOption('opt-level=2'), refused(/^-O opt-level is not supported by Poolscope/));
  assert.throws(() => optOption('nonsense'), refused(/wasmtime has no such -O option either/));
  assert.throws(() => optOption('pooling-total-component-instances=x'), invalid(/not a whole number/));
});

test('wasmtime flags outside the groups: refused by every spelling; other unknown flags are left to commander', () => {
  assert.match(refusalForUnknownOption('--profile')!, /^--profile is not supported by Poolscope: /);
  assert.match(refusalForUnknownOption('--profile=guest')!, /^--profile is not supported by Poolscope: /);
  assert.match(refusalForUnknownOption('-Ccache=n')!, /^-C cache is not supported by Poolscope: V8 compiles the guest/);
  assert.match(
    refusalForUnknownOption('--codegen=compiler=cranelift')!,
    /^-C compiler is not supported by Poolscope: /,
  );
  assert.match(refusalForUnknownOption('-C')!, /^-C is not supported by Poolscope: /);
  assert.match(refusalForUnknownOption('-Dcoredump=x')!, /^-D coredump is not supported by Poolscope: /);
  assert.match(refusalForUnknownOption('-g1234')!, /^-g is not supported by Poolscope: /);
  assert.match(refusalForUnknownOption('--max-concurrent-connections')!, /--max-concurrent-requests bounds/);
  assert.match(refusalForUnknownOption('--fuel')!, /-W fuel now/);
  assert.match(refusalForUnknownOption('--tcplisten=1.2.3.4:5')!, /listening sockets/);
  assert.match(refusalForUnknownOption('--mapdir')!, /use --dir HOST::GUEST/);
  assert.equal(refusalForUnknownOption('--nope'), undefined);
  assert.equal(refusalForUnknownOption('-q'), undefined);
});
