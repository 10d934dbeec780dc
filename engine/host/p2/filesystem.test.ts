/** wasi:filesystem: preopens, descriptor operations, and paths that must stay inside them. */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createP2Host } from './index.ts';
import type { Preopen } from './api.ts';
import {
  closePreopens,
  Descriptor,
  DirectoryEntryStream,
  MAX_OPEN_DESCRIPTORS,
  MAX_READ_BYTES,
  MAX_WALK_DESCRIPTORS,
  MAX_WRITE_BYTES,
  openPreopen,
} from './filesystem.ts';
import { resolve, Walk } from './fs-walk.ts';
import { HostTrap } from './result.ts';
import { bytes, errOf, str } from './test-support.ts';
import { STREAM_CLOSED } from './streams.ts';

const noOutput = { write() {} };
const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'poolscope-fs-')));
/** Preopens opened by the tests, held (as the CLI holds them) until the file is done. */
const held: Preopen[] = [];
after(() => {
  closePreopens(held);
  rmSync(scratch, { recursive: true, force: true });
});

/** `root` opened as the CLI opens a `--dir` at start. */
function opened(root: string, guest = '/data'): Preopen {
  const preopen = openPreopen(root, guest);
  held.push(preopen);
  return preopen;
}

/** A host (an instance) given `preopens`; its descriptors, in order. */
function instance(preopens: Preopen[], signal?: AbortSignal): Descriptor[] {
  const host = createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false, signal, filesystem: { preopens } });
  return (host.imports['wasi:filesystem/preopens']!['getDirectories'] as () => Array<[Descriptor, string]>)().map(
    ([d]) => d,
  );
}

let dirs = 0;
/** A fresh layout: ROOT (the preopen) with hello.txt, sub/, and OUTSIDE beside it with a secret. */
function layout(): { root: string; outside: string } {
  const base = path.join(scratch, String(dirs++));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(root, 'hello.txt'), 'hello from the host');
  writeFileSync(path.join(root, 'sub', 'inner.txt'), 'inner');
  writeFileSync(path.join(outside, 'secret'), 'SECRET');
  return { root, outside };
}

function hostWith(root: string | null, signal?: AbortSignal) {
  const host = createP2Host({
    env: [],
    output: noOutput,
    allowOutgoingHttp: false,
    signal,
    ...(root === null ? {} : { filesystem: { preopens: [opened(root)] } }),
  });
  const getDirectories = host.imports['wasi:filesystem/preopens']!['getDirectories'] as () => Array<
    [Descriptor, string]
  >;
  return { host, getDirectories };
}

function preopen(root: string, signal?: AbortSignal): Descriptor {
  const [[dir, name]] = hostWith(root, signal).getDirectories() as [[Descriptor, string]];
  assert.equal(name, '/data');
  return dir;
}

const FOLLOW = { symlinkFollow: true };
const NOFOLLOW = {};
const READ = { read: true };
const WRITE = { write: true };

function readAll(file: Descriptor): string {
  const stream = file.readViaStream(0n);
  const chunks: Uint8Array[] = [];
  for (;;) {
    try {
      chunks.push(stream.blockingRead(1_000_000n));
    } catch (e) {
      assert.equal(e, STREAM_CLOSED);
      break;
    }
  }
  stream[Symbol.dispose]();
  return str(Buffer.concat(chunks));
}

function openRead(dir: Descriptor, p: string, pathFlags = FOLLOW): string {
  const file = dir.openAt(pathFlags, p, {}, READ);
  try {
    return readAll(file);
  } finally {
    file[Symbol.dispose]();
  }
}

test('nothing is preopened unless asked: get-directories is empty, and the interfaces are still there', () => {
  const { host, getDirectories } = hostWith(null);
  assert.deepEqual(getDirectories(), []);
  assert.equal(host.imports['wasi:filesystem/types']!['Descriptor'], Descriptor);
});

test('a preopen is a read-write directory named as given', () => {
  const { root } = layout();
  const dir = preopen(root);
  assert.equal(dir.getType(), 'directory');
  assert.deepEqual(dir.getFlags(), {
    read: true,
    write: false,
    fileIntegritySync: false,
    dataIntegritySync: false,
    requestedWriteSync: false,
    mutateDirectory: true,
  });
  assert.equal(dir.stat().type, 'directory');
});

test('files: read, create and write through streams, append, stat, read/write at offsets', () => {
  const { root } = layout();
  const dir = preopen(root);
  assert.equal(openRead(dir, 'hello.txt'), 'hello from the host');
  assert.equal(openRead(dir, './sub/../sub/inner.txt'), 'inner');

  const created = dir.openAt(NOFOLLOW, 'new.txt', { create: true }, WRITE);
  const out = created.writeViaStream(0n);
  assert.equal(out.checkWrite(), 1n << 20n);
  out.write(bytes('written '));
  out.write(bytes('by the guest'));
  out[Symbol.dispose]();
  const appender = created.appendViaStream();
  appender.write(bytes('!'));
  appender[Symbol.dispose]();
  assert.equal(created.write(bytes('W'), 0n), 1n);
  assert.equal(created.stat().size, 21n);
  created[Symbol.dispose]();
  assert.equal(readFileSync(path.join(root, 'new.txt'), 'utf8'), 'Written by the guest!');

  const file = dir.openAt(NOFOLLOW, 'new.txt', {}, READ);
  assert.deepEqual(
    file.read(7n, 8n).map((x) => (x instanceof Uint8Array ? str(x) : x)),
    ['by the ', false],
  );
  assert.deepEqual(
    file.read(10n, 100n).map((x) => (x instanceof Uint8Array ? str(x) : x)),
    ['', true],
  );
  assert.equal(dir.statAt(NOFOLLOW, 'new.txt').type, 'regular-file');
  file[Symbol.dispose]();

  // truncate on open, set-size
  const again = dir.openAt(NOFOLLOW, 'new.txt', { truncate: true }, WRITE);
  assert.equal(again.stat().size, 0n);
  again.setSize(3n);
  assert.equal(again.stat().size, 3n);
  again[Symbol.dispose]();
});

test('a read returns at most 64 KiB, as wasmtime', () => {
  const { root } = layout();
  writeFileSync(path.join(root, 'big'), Buffer.alloc(200_000, 1));
  const dir = preopen(root);
  const file = dir.openAt(NOFOLLOW, 'big', {}, READ);
  assert.equal(file.read(1_000_000n, 0n)[0].length, MAX_READ_BYTES);
  const stream = file.readViaStream(0n);
  assert.equal(stream.read(1_000_000n).length, MAX_READ_BYTES);
  assert.equal(stream.blockingRead(10n).length, 10);
  assert.equal(readAll(file).length, 200_000);
});

test('directories: list, create, rename, link, unlink, remove', () => {
  const { root } = layout();
  const dir = preopen(root);
  const list = (d: Descriptor) => {
    const entries: string[] = [];
    const stream = d.readDirectory();
    assert.ok(stream instanceof DirectoryEntryStream);
    for (let e = stream.readDirectoryEntry(); e !== undefined; e = stream.readDirectoryEntry())
      entries.push(`${e.name}:${e.type}`);
    return entries.sort();
  };
  assert.deepEqual(list(dir), ['hello.txt:regular-file', 'sub:directory']);
  dir.createDirectoryAt('made');
  dir.renameAt('hello.txt', dir, 'made/moved.txt');
  dir.linkAt(NOFOLLOW, 'made/moved.txt', dir, 'hard');
  assert.deepEqual(list(dir), ['hard:regular-file', 'made:directory', 'sub:directory']);
  assert.equal(
    errOf(() => dir.removeDirectoryAt('made')),
    'not-empty',
  );
  dir.unlinkFileAt('made/moved.txt');
  dir.removeDirectoryAt('made');
  assert.equal(openRead(dir, 'hard'), 'hello from the host');
  assert.equal(
    errOf(() => dir.linkAt(FOLLOW, 'hard', dir, 'x')),
    'invalid',
  );
  const sub = dir.openAt(NOFOLLOW, 'sub', { directory: true }, READ);
  assert.equal(sub.getType(), 'directory');
  assert.deepEqual(list(sub), ['inner.txt:regular-file']);
  assert.equal(dir.isSameObject(sub), false);
  assert.equal(sub.isSameObject(dir.openAt(NOFOLLOW, 'sub/.', {}, READ)), true);
  assert.deepEqual(sub.metadataHash(), dir.metadataHashAt(NOFOLLOW, 'sub'));
});

test('errors carry the code wasmtime returns', () => {
  const { root } = layout();
  const dir = preopen(root);
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'missing', {}, READ)),
    'no-entry',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, '', {}, READ)),
    'no-entry',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', { create: true, exclusive: true }, WRITE)),
    'exist',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', { directory: true }, READ)),
    'not-directory',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'hello.txt/', {}, READ)),
    'not-directory',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'sub', { directory: true, create: true }, READ)),
    'invalid',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'sub', {}, WRITE)),
    'is-directory',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'x\0y', {}, READ)),
    'invalid',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'a'.repeat(5000), {}, READ)),
    'name-too-long',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', {}, { read: true, fileIntegritySync: true })),
    'unsupported',
  );
  assert.equal(
    errOf(() => dir.readViaStream(0n)),
    'is-directory',
  );
  assert.equal(
    errOf(() => dir.writeViaStream(0n)),
    'bad-descriptor',
  );
  assert.equal(
    errOf(() => dir.read(1n, 0n)),
    'bad-descriptor',
  );
  const file = dir.openAt(NOFOLLOW, 'hello.txt', {}, READ);
  assert.equal(
    errOf(() => file.openAt(NOFOLLOW, 'x', {}, READ)),
    'not-directory',
  );
  assert.equal(
    errOf(() => file.readDirectory()),
    'not-directory',
  );
  // Written through a descriptor opened for reading only: not-permitted, as wasmtime checks.
  assert.equal(
    errOf(() => file.write(bytes('x'), 0n)),
    'not-permitted',
  );
  assert.equal(
    errOf(() => file.writeViaStream(0n)),
    'not-permitted',
  );
  assert.equal(
    errOf(() => file.appendViaStream()),
    'not-permitted',
  );
});

test('no path leaves the preopen: .., absolute paths and symbolic links leading out are not-permitted', () => {
  const { root, outside } = layout();
  symlinkSync(outside, path.join(root, 'abs-out')); // absolute target
  symlinkSync('../outside', path.join(root, 'rel-out')); // relative target, one level up
  symlinkSync('../outside/secret', path.join(root, 'secret-link'));
  symlinkSync('b', path.join(root, 'a')); // a chain: a -> b -> ../outside
  symlinkSync('../outside', path.join(root, 'b'));
  symlinkSync('sub', path.join(root, 'in')); // stays inside: fine
  const dir = preopen(root);
  const escapes = [
    '../outside/secret',
    '..',
    'sub/../../outside/secret',
    '/etc/passwd',
    `${outside}/secret`,
    'abs-out/secret',
    'rel-out/secret',
    'secret-link',
    'a/secret',
    'sub/../a/secret',
  ];
  for (const p of escapes) {
    assert.equal(
      errOf(() => dir.openAt(FOLLOW, p, {}, READ)),
      'not-permitted',
      `open-at ${p}`,
    );
    assert.equal(
      errOf(() => dir.statAt(FOLLOW, p)),
      'not-permitted',
      `stat-at ${p}`,
    );
  }
  // Writing through an escaping link, or creating through one, is refused the same way.
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'secret-link', { create: true, truncate: true }, WRITE)),
    'not-permitted',
  );
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'rel-out/new', { create: true }, WRITE)),
    'not-permitted',
  );
  assert.equal(
    errOf(() => dir.createDirectoryAt('rel-out/x')),
    'not-permitted',
  );
  assert.equal(
    errOf(() => dir.unlinkFileAt('../outside/secret')),
    'not-permitted',
  );
  assert.equal(
    errOf(() => dir.renameAt('hello.txt', dir, '../stolen')),
    'not-permitted',
  );
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'abs-out', { directory: true }, READ)),
    'not-permitted',
  );
  assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'SECRET');
  assert.deepEqual(existsSync(path.join(outside, 'new')) || existsSync(path.join(outside, 'x')), false);
  // Not following: the link itself is there to see (as under wasmtime), never what it points at.
  assert.equal(dir.statAt(NOFOLLOW, 'secret-link').type, 'symbolic-link');
  assert.equal(dir.readlinkAt('secret-link'), '../outside/secret');
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'secret-link', {}, READ)),
    'loop',
  );
  // A link that stays inside is followed.
  assert.equal(openRead(dir, 'in/inner.txt'), 'inner');
  // A descriptor is confined to its own directory, as cap-std confines a Dir.
  const sub = dir.openAt(NOFOLLOW, 'sub', {}, READ);
  assert.equal(
    errOf(() => sub.openAt(FOLLOW, '../hello.txt', {}, READ)),
    'not-permitted',
  );
});

test('a guest-made link pointing out can exist but never be followed; link loops end in loop', () => {
  const { root } = layout();
  const dir = preopen(root);
  dir.symlinkAt('../outside', 'mine');
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'mine/secret', {}, READ)),
    'not-permitted',
  );
  // Moving a link deeper does not make it escape more: every use resolves it again.
  dir.renameAt('mine', dir, 'sub/mine');
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'sub/mine/secret', {}, READ)),
    'no-entry',
  ); // sub/../outside: no such entry inside
  dir.symlinkAt('loop2', 'loop1');
  dir.symlinkAt('loop1', 'loop2');
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'loop1', {}, READ)),
    'loop',
  );
});

test('a descriptor follows its directory, not a path: renaming it on the host does not redirect it', () => {
  const { root } = layout();
  const dir = preopen(root);
  const sub = dir.openAt(NOFOLLOW, 'sub', {}, READ);
  renameSync(path.join(root, 'sub'), path.join(root, 'elsewhere'));
  mkdirSync(path.join(root, 'sub'));
  assert.equal(openRead(sub, 'inner.txt'), 'inner');
  assert.equal(
    errOf(() => dir.openAt(FOLLOW, 'sub/inner.txt', {}, READ)),
    'no-entry',
  );
});

test(`at most ${MAX_OPEN_DESCRIPTORS} descriptors open per instance; dropping one makes room`, () => {
  const { root } = layout();
  const dir = preopen(root);
  const open: Descriptor[] = [];
  for (let i = 0; i < MAX_OPEN_DESCRIPTORS; i++) open.push(dir.openAt(NOFOLLOW, 'hello.txt', {}, READ));
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', {}, READ)),
    'insufficient-memory',
  );
  assert.equal(
    errOf(() => dir.readDirectory()),
    'insufficient-memory',
  );
  open.pop()![Symbol.dispose]();
  open.push(dir.openAt(NOFOLLOW, 'hello.txt', {}, READ));
  // Streams share their descriptor's host file: they do not count.
  const stream = open[0]!.readViaStream(0n);
  open[0]![Symbol.dispose]();
  assert.equal(str(stream.read(5n)), 'hello');
});

test('when the instance goes away every descriptor is closed: later calls get bad-descriptor', () => {
  const { root } = layout();
  const abort = new AbortController();
  const dir = preopen(root, abort.signal);
  const file = dir.openAt(NOFOLLOW, 'hello.txt', {}, READ);
  const stream = file.readViaStream(0n);
  abort.abort(new Error('disposed'));
  assert.equal(
    errOf(() => file.read(1n, 0n)),
    'bad-descriptor',
  );
  assert.equal(
    errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', {}, READ)),
    'bad-descriptor',
  );
  assert.throws(
    () => stream.read(1n),
    (e) => e === STREAM_CLOSED,
  );
});

test('a preopen is opened once, as a directory and not through a link; what cannot be opened is the OS error', () => {
  assert.throws(() => openPreopen(path.join(scratch, 'nope'), 'x'), { code: 'ENOENT' });
  const file = path.join(scratch, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => openPreopen(file, 'x'), { code: 'ENOTDIR' });
  const { root } = layout();
  const link = path.join(scratch, `link-to-root-${dirs++}`);
  symlinkSync(root, link);
  assert.throws(() => openPreopen(link, 'x'), { code: 'ENOTDIR' }); // O_NOFOLLOW | O_DIRECTORY on a link
});

test('an instance refuses to start, saying why, when the descriptor held since start is closed or holds another directory', () => {
  const { root, outside } = layout();
  const closed = openPreopen(root, '/data');
  closePreopens([closed]);
  assert.throws(
    () => instance([closed]),
    new RegExp(
      `^Error: cannot open preopened directory ${root} \\(/data\\): descriptor ${closed.fd}, which has held it since serving started, is closed$`,
    ),
  );
  // The number reused for another directory (what a stale descriptor number would find).
  const other = opened(outside, '/other');
  const stale: Preopen = { ...opened(root, '/data'), fd: other.fd };
  assert.throws(
    () => instance([stale]),
    new RegExp(
      `^Error: cannot open preopened directory ${root} \\(/data\\): descriptor ${other.fd} no longer holds the directory opened when serving started \\(device ${stale.dev}, inode ${stale.ino}; now device \\d+, inode \\d+\\); refusing to start the instance$`,
    ),
  );
});

test('-S cwd is what wasi:cli/environment reports as the initial working directory', () => {
  const host = createP2Host({
    env: [],
    output: noOutput,
    allowOutgoingHttp: false,
    filesystem: { preopens: [], initialCwd: '/data' },
  });
  assert.equal((host.imports['wasi:cli/environment']!['initialCwd'] as () => unknown)(), '/data');
  const none = createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false });
  assert.equal((none.imports['wasi:cli/environment']!['initialCwd'] as () => unknown)(), undefined);
});

test("nested preopens: a guest that renames an inner preopen and plants a link there does not move later instances' preopen", () => {
  const { root, outside } = layout();
  mkdirSync(path.join(root, 'static'));
  writeFileSync(path.join(root, 'static', 'page.html'), 'the static page');
  const preopens = [opened(root, '/'), opened(path.join(root, 'static'), '/static')];
  const [first] = instance(preopens) as [Descriptor, Descriptor];
  // Only legitimate calls on its own preopen.
  first.renameAt('static', first, 'static-old');
  first.symlinkAt('../outside', 'static');
  // A later instance still gets the directory opened at start (now root/static-old), not outside/.
  const [, laterStatic] = instance(preopens) as [Descriptor, Descriptor];
  assert.equal(openRead(laterStatic, 'page.html'), 'the static page');
  assert.equal(
    errOf(() => laterStatic.openAt(NOFOLLOW, 'secret', {}, READ)),
    'no-entry',
  );
  assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'SECRET');
  // The same if the host path is replaced by a link on the host.
  rmSync(path.join(root, 'static'));
  symlinkSync(outside, path.join(root, 'static'));
  const [, again] = instance(preopens) as [Descriptor, Descriptor];
  assert.equal(openRead(again, 'page.html'), 'the static page');
});

test('FIFOs and sockets are not opened (unsupported), so no open waits; they can still be listed and stat-ed', async () => {
  const { root } = layout();
  execFileSync('mkfifo', [path.join(root, 'pipe')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path.join(root, 'sock'), resolve));
  try {
    const dir = preopen(root);
    for (const name of ['pipe', 'sock']) {
      assert.equal(
        errOf(() => dir.openAt(NOFOLLOW, name, {}, READ)),
        'unsupported',
        `read ${name}`,
      );
      assert.equal(
        errOf(() => dir.openAt(NOFOLLOW, name, {}, WRITE)),
        'unsupported',
        `write ${name}`,
      );
      assert.equal(
        errOf(() => dir.openAt(FOLLOW, name, { create: true, truncate: true }, WRITE)),
        'unsupported',
        `create ${name}`,
      );
      assert.equal(
        errOf(() => dir.openAt(NOFOLLOW, name, { directory: true }, READ)),
        'not-directory',
        `directory ${name}`,
      );
    }
    dir.symlinkAt('pipe', 'to-pipe');
    assert.equal(
      errOf(() => dir.openAt(FOLLOW, 'to-pipe', {}, READ)),
      'unsupported',
    );
    assert.equal(dir.statAt(NOFOLLOW, 'pipe').type, 'fifo');
    assert.equal(dir.statAt(NOFOLLOW, 'sock').type, 'socket');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('file writes are bounded: check-write is 1 MiB and a bigger stream write traps; write-zeroes checks before allocating; write writes at most 1 MiB', async () => {
  const { root } = layout();
  const dir = preopen(root);
  const file = dir.openAt(NOFOLLOW, 'big', { create: true }, WRITE);
  const out = file.writeViaStream(0n);
  assert.equal(out.checkWrite(), BigInt(MAX_WRITE_BYTES));
  assert.throws(
    () => out.write(new Uint8Array(MAX_WRITE_BYTES + 1)),
    (e) => e instanceof HostTrap && /more than check-write allows \(1048576\)/.test(e.message),
  );
  assert.throws(
    () => out.writeZeroes(0x7fff_ffffn),
    (e) => e instanceof HostTrap && /write-zeroes: 2147483647 bytes is more than check-write allows/.test(e.message),
  );
  assert.throws(() => out.writeZeroes(1n << 62n), HostTrap);
  await assert.rejects(out.blockingWriteZeroesAndFlush(BigInt(MAX_WRITE_BYTES) + 1n), HostTrap);
  assert.equal(statSync(path.join(root, 'big')).size, 0);
  out.write(new Uint8Array(MAX_WRITE_BYTES).fill(1));
  out.writeZeroes(BigInt(MAX_WRITE_BYTES));
  await out.blockingWriteZeroesAndFlush(10n);
  assert.equal(statSync(path.join(root, 'big')).size, 2 * MAX_WRITE_BYTES + 10);
  out[Symbol.dispose]();
  // descriptor.write: one write of at most 1 MiB, and the count says so.
  assert.equal(file.write(new Uint8Array(3 * MAX_WRITE_BYTES).fill(2), 0n), BigInt(MAX_WRITE_BYTES));
  assert.equal(file.write(bytes('tail'), BigInt(2 * MAX_WRITE_BYTES + 10)), 4n);
  assert.equal(statSync(path.join(root, 'big')).size, 2 * MAX_WRITE_BYTES + 14);
  file[Symbol.dispose]();
});

test('absolute symbolic links: not created, and not read back (not-permitted, as cap-std); a non-UTF-8 link text is illegal-byte-sequence', () => {
  const { root, outside } = layout();
  symlinkSync(outside, path.join(root, 'host-abs'));
  symlinkSync(Buffer.from([0x61, 0xff, 0x62]), path.join(root, 'not-utf8'));
  const dir = preopen(root);
  for (const target of ['/', '/etc/passwd', outside]) {
    assert.equal(
      errOf(() => dir.symlinkAt(target, 'abs')),
      'not-permitted',
      target,
    );
  }
  assert.equal(existsSync(path.join(root, 'abs')), false);
  assert.equal(
    errOf(() => dir.readlinkAt('host-abs')),
    'not-permitted',
  );
  assert.equal(
    errOf(() => dir.readlinkAt('not-utf8')),
    'illegal-byte-sequence',
  );
  dir.symlinkAt('sub/inner.txt', 'rel');
  assert.equal(dir.readlinkAt('rel'), 'sub/inner.txt');
});

/** The open host descriptors of this process naming `file`, with their open flags. */
function descriptorsOf(file: string): Array<{ fd: number; flags: number }> {
  const found: Array<{ fd: number; flags: number }> = [];
  for (const entry of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${entry}`);
    } catch {
      continue; // the listing's own descriptor, gone already
    }
    if (target !== file) continue;
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${entry}`, 'utf8'))![1]!;
    found.push({ fd: Number(entry), flags: parseInt(flags, 8) });
  }
  return found;
}

test('append-via-stream writes through an O_APPEND descriptor (each write lands at the end, atomically), one per file, closed with it', () => {
  const { root } = layout();
  const log = path.join(root, 'log');
  const [a] = instance([opened(root)]) as [Descriptor];
  const [b] = instance([opened(root)]) as [Descriptor];
  const fa = a.openAt(NOFOLLOW, 'log', { create: true }, WRITE);
  const fb = b.openAt(NOFOLLOW, 'log', { create: true }, WRITE);
  const [outA1, outA2, outB] = [fa.appendViaStream(), fa.appendViaStream(), fb.appendViaStream()];
  for (let i = 0; i < 3; i++) {
    outA1.write(bytes(`a${i}\n`));
    outB.write(bytes(`b${i}\n`));
    outA2.write(bytes(`A${i}\n`));
  }
  assert.equal(readFileSync(log, 'utf8'), 'a0\nb0\nA0\na1\nb1\nA1\na2\nb2\nA2\n');
  // Each file: its own descriptor and one O_APPEND one, whatever the number of append streams.
  const open = descriptorsOf(log);
  assert.equal(open.length, 4);
  assert.equal(open.filter(({ flags }) => (flags & constants.O_APPEND) !== 0).length, 2);
  for (const stream of [outA1, outA2, outB]) stream[Symbol.dispose]();
  fa[Symbol.dispose]();
  fb[Symbol.dispose]();
  assert.deepEqual(descriptorsOf(log), []);
});

test(`a resolution holds at most ${MAX_WALK_DESCRIPTORS} directories open however deep the path, and .. back through them stays exact`, () => {
  const { root } = layout();
  const depth = 10 * MAX_WALK_DESCRIPTORS;
  const deep = path.join(root, ...Array<string>(depth).fill('d'));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'bottom.txt'), 'at the bottom');
  const start = openPreopen(root, '/');
  held.push(start);
  const countOpen = () => readdirSync('/proc/self/fd').length;
  const before = countOpen();
  const down = Array<string>(depth).fill('d').join('/');
  const seen = resolve(start.fd, `${down}/bottom.txt`, false, () => countOpen());
  assert.ok(seen - before <= MAX_WALK_DESCRIPTORS + 1, `held ${seen - before} descriptors at the bottom`);
  assert.equal(countOpen(), before);
  // Down and all the way back up, through directories that were closed on the way down.
  const dir = instance([opened(root)])[0]!;
  assert.equal(openRead(dir, `${down}/${Array<string>(depth).fill('..').join('/')}/hello.txt`), 'hello from the host');
  assert.equal(openRead(dir, `${down}/bottom.txt`), 'at the bottom');
  assert.equal(
    errOf(() =>
      dir.statAt(
        NOFOLLOW,
        `${down}/${Array<string>(depth + 1)
          .fill('..')
          .join('/')}/hello.txt`,
      ),
    ),
    'not-permitted',
  );
  // Links expanded one after another, each deep: still bounded.
  const segment = Array<string>(2 * MAX_WALK_DESCRIPTORS).fill('e');
  let here = root;
  for (let i = 0; i < 5; i++) {
    symlinkSync(segment.join('/'), path.join(here, 'L'));
    here = path.join(here, ...segment);
    mkdirSync(here, { recursive: true });
  }
  const beforeLinks = countOpen();
  const throughLinks = resolve(start.fd, 'L/L/L/L/L', true, () => countOpen());
  assert.ok(
    throughLinks - beforeLinks <= MAX_WALK_DESCRIPTORS + 1,
    `held ${throughLinks - beforeLinks} descriptors through links`,
  );
});

test('.. back to a directory the walk closed is refused if it is not the same directory any more (moved meanwhile)', () => {
  const { root, outside } = layout();
  const depth = 2 * MAX_WALK_DESCRIPTORS;
  mkdirSync(path.join(root, 'a', 'b', ...Array<string>(depth).fill('d')), { recursive: true });
  const start = openPreopen(root, '/');
  held.push(start);
  const walk = new Walk(start.fd);
  try {
    walk.descend(['a', 'b', ...Array<string>(depth).fill('d')]);
    assert.equal(walk.openCount, MAX_WALK_DESCRIPTORS);
    // Someone moves part of the walked tree out from under it, outside the preopen.
    renameSync(path.join(root, 'a', 'b'), path.join(outside, 'b'));
    // `..` back to `b` is still the same directory (moved with what is below it); one more would
    // be `..` of b, outside/ now, not the `a` the walk came through.
    walk.descend(Array<string>(depth).fill('..'));
    assert.equal(
      errOf(() => walk.descend(['..'])),
      'not-permitted',
    );
  } finally {
    walk.close();
  }
});

test("a directory listing keeps its directory's descriptor until it is done, even once the descriptor is dropped", () => {
  const { root } = layout();
  const dir = preopen(root);
  const sub = dir.openAt(NOFOLLOW, 'sub', { directory: true }, READ);
  const listing = sub.readDirectory();
  sub[Symbol.dispose]();
  const subPath = path.join(root, 'sub');
  assert.equal(descriptorsOf(subPath).length, 2); // the directory and its listing: both still open
  assert.deepEqual(listing.readDirectoryEntry(), { type: 'regular-file', name: 'inner.txt' });
  assert.equal(listing.readDirectoryEntry(), undefined);
  assert.deepEqual(descriptorsOf(subPath), []);
});

test('set-times: no-change for both writes nothing (the nanoseconds stay); one no-change keeps the other as closely as Node can', () => {
  const { root } = layout();
  const target = path.join(root, 'hello.txt');
  const dir = preopen(root);
  const file = dir.openAt(NOFOLLOW, 'hello.txt', {}, WRITE);
  const at = { seconds: 1_600_000_000n, nanoseconds: 123_456_789 };
  file.setTimes({ tag: 'timestamp', val: at }, { tag: 'timestamp', val: at });
  const exact = statSync(target, { bigint: true });
  file.setTimes({ tag: 'no-change' }, { tag: 'no-change' });
  dir.setTimesAt(NOFOLLOW, 'hello.txt', { tag: 'no-change' }, { tag: 'no-change' });
  const after = statSync(target, { bigint: true });
  assert.equal(after.atimeNs, exact.atimeNs);
  assert.equal(after.mtimeNs, exact.mtimeNs);
  assert.equal(
    errOf(() => dir.setTimesAt(NOFOLLOW, 'missing', { tag: 'no-change' }, { tag: 'no-change' })),
    'no-entry',
  );
  assert.equal(
    errOf(() =>
      file.setTimes({ tag: 'no-change' }, { tag: 'timestamp', val: { seconds: 0n, nanoseconds: 1_000_000_000 } }),
    ),
    'invalid',
  );
  file.setTimes({ tag: 'no-change' }, { tag: 'timestamp', val: { seconds: 1_700_000_000n, nanoseconds: 0 } });
  const one = statSync(target, { bigint: true });
  assert.equal(one.mtimeNs, 1_700_000_000n * 1_000_000_000n);
  assert.ok(
    one.atimeNs - exact.atimeNs < 1000n && exact.atimeNs - one.atimeNs < 1000n,
    'atime kept to within a microsecond',
  );
  file[Symbol.dispose]();
});
