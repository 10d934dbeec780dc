/** wasi:filesystem: preopens, descriptor operations, and paths that must stay inside them. */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createP2Host } from './index.ts';
import { Descriptor, DirectoryEntryStream, MAX_OPEN_DESCRIPTORS, MAX_READ_BYTES } from './filesystem.ts';
import type { IoError } from './io-error.ts';
import { bytes, errOf, str } from './test-support.ts';
import { STREAM_CLOSED } from './streams.ts';

const noOutput = { write() {} };
const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'poolscope-fs-')));
after(() => rmSync(scratch, { recursive: true, force: true }));

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
    ...(root === null ? {} : { filesystem: { preopens: [{ host: root, guest: '/data' }] } }),
  });
  const getDirectories = host.imports['wasi:filesystem/preopens']!['getDirectories'] as () => Array<[Descriptor, string]>;
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
    read: true, write: false, fileIntegritySync: false, dataIntegritySync: false, requestedWriteSync: false, mutateDirectory: true,
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
  assert.deepEqual(file.read(7n, 8n).map((x) => (x instanceof Uint8Array ? str(x) : x)), ['by the ', false]);
  assert.deepEqual(file.read(10n, 100n).map((x) => (x instanceof Uint8Array ? str(x) : x)), ['', true]);
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
    for (let e = stream.readDirectoryEntry(); e !== undefined; e = stream.readDirectoryEntry()) entries.push(`${e.name}:${e.type}`);
    return entries.sort();
  };
  assert.deepEqual(list(dir), ['hello.txt:regular-file', 'sub:directory']);
  dir.createDirectoryAt('made');
  dir.renameAt('hello.txt', dir, 'made/moved.txt');
  dir.linkAt(NOFOLLOW, 'made/moved.txt', dir, 'hard');
  assert.deepEqual(list(dir), ['hard:regular-file', 'made:directory', 'sub:directory']);
  assert.equal(errOf(() => dir.removeDirectoryAt('made')), 'not-empty');
  dir.unlinkFileAt('made/moved.txt');
  dir.removeDirectoryAt('made');
  assert.equal(openRead(dir, 'hard'), 'hello from the host');
  assert.equal(errOf(() => dir.linkAt(FOLLOW, 'hard', dir, 'x')), 'invalid');
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
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'missing', {}, READ)), 'no-entry');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, '', {}, READ)), 'no-entry');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', { create: true, exclusive: true }, WRITE)), 'exist');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', { directory: true }, READ)), 'not-directory');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'hello.txt/', {}, READ)), 'not-directory');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'sub', { directory: true, create: true }, READ)), 'invalid');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'sub', {}, WRITE)), 'is-directory');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'x\0y', {}, READ)), 'invalid');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'a'.repeat(5000), {}, READ)), 'name-too-long');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', {}, { read: true, fileIntegritySync: true })), 'unsupported');
  assert.equal(errOf(() => dir.readViaStream(0n)), 'is-directory');
  assert.equal(errOf(() => dir.writeViaStream(0n)), 'bad-descriptor');
  assert.equal(errOf(() => dir.read(1n, 0n)), 'bad-descriptor');
  const file = dir.openAt(NOFOLLOW, 'hello.txt', {}, READ);
  assert.equal(errOf(() => file.openAt(NOFOLLOW, 'x', {}, READ)), 'not-directory');
  assert.equal(errOf(() => file.readDirectory()), 'not-directory');
  // Written through a descriptor opened for reading only: the OS says EBADF.
  assert.equal(errOf(() => file.write(bytes('x'), 0n)), 'bad-descriptor');
  const out = file.writeViaStream(0n);
  const failure = errOf(() => out.write(bytes('x'))) as { tag: string; val: IoError };
  assert.equal(failure.tag, 'last-operation-failed');
  assert.equal(failure.val.fsCode, 'bad-descriptor');
  assert.throws(() => out.write(bytes('x')), (e) => e === STREAM_CLOSED);
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
    '../outside/secret', '..', 'sub/../../outside/secret', '/etc/passwd', `${outside}/secret`,
    'abs-out/secret', 'rel-out/secret', 'secret-link', 'a/secret', 'sub/../a/secret',
  ];
  for (const p of escapes) {
    assert.equal(errOf(() => dir.openAt(FOLLOW, p, {}, READ)), 'not-permitted', `open-at ${p}`);
    assert.equal(errOf(() => dir.statAt(FOLLOW, p)), 'not-permitted', `stat-at ${p}`);
  }
  // Writing through an escaping link, or creating through one, is refused the same way.
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'secret-link', { create: true, truncate: true }, WRITE)), 'not-permitted');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'rel-out/new', { create: true }, WRITE)), 'not-permitted');
  assert.equal(errOf(() => dir.createDirectoryAt('rel-out/x')), 'not-permitted');
  assert.equal(errOf(() => dir.unlinkFileAt('../outside/secret')), 'not-permitted');
  assert.equal(errOf(() => dir.renameAt('hello.txt', dir, '../stolen')), 'not-permitted');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'abs-out', { directory: true }, READ)), 'not-permitted');
  assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'SECRET');
  assert.deepEqual(existsSync(path.join(outside, 'new')) || existsSync(path.join(outside, 'x')), false);
  // Not following: the link itself is there to see (as under wasmtime), never what it points at.
  assert.equal(dir.statAt(NOFOLLOW, 'secret-link').type, 'symbolic-link');
  assert.equal(dir.readlinkAt('secret-link'), '../outside/secret');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'secret-link', {}, READ)), 'loop');
  // A link that stays inside is followed.
  assert.equal(openRead(dir, 'in/inner.txt'), 'inner');
  // A descriptor is confined to its own directory, as cap-std confines a Dir.
  const sub = dir.openAt(NOFOLLOW, 'sub', {}, READ);
  assert.equal(errOf(() => sub.openAt(FOLLOW, '../hello.txt', {}, READ)), 'not-permitted');
});

test('a guest-made link pointing out can exist but never be followed; link loops end in loop', () => {
  const { root, outside } = layout();
  const dir = preopen(root);
  dir.symlinkAt('../outside', 'mine');
  dir.symlinkAt(outside, 'mine-abs');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'mine/secret', {}, READ)), 'not-permitted');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'mine-abs/secret', {}, READ)), 'not-permitted');
  // Moving a link deeper does not make it escape more: every use resolves it again.
  dir.renameAt('mine', dir, 'sub/mine');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'sub/mine/secret', {}, READ)), 'no-entry'); // sub/../outside: no such entry inside
  dir.symlinkAt('loop2', 'loop1');
  dir.symlinkAt('loop1', 'loop2');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'loop1', {}, READ)), 'loop');
});

test('a descriptor follows its directory, not a path: renaming it on the host does not redirect it', () => {
  const { root } = layout();
  const dir = preopen(root);
  const sub = dir.openAt(NOFOLLOW, 'sub', {}, READ);
  renameSync(path.join(root, 'sub'), path.join(root, 'elsewhere'));
  mkdirSync(path.join(root, 'sub'));
  assert.equal(openRead(sub, 'inner.txt'), 'inner');
  assert.equal(errOf(() => dir.openAt(FOLLOW, 'sub/inner.txt', {}, READ)), 'no-entry');
});

test(`at most ${MAX_OPEN_DESCRIPTORS} descriptors open per instance; dropping one makes room`, () => {
  const { root } = layout();
  const dir = preopen(root);
  const open: Descriptor[] = [];
  for (let i = 0; i < MAX_OPEN_DESCRIPTORS; i++) open.push(dir.openAt(NOFOLLOW, 'hello.txt', {}, READ));
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', {}, READ)), 'insufficient-memory');
  assert.equal(errOf(() => dir.readDirectory()), 'insufficient-memory');
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
  assert.equal(errOf(() => file.read(1n, 0n)), 'bad-descriptor');
  assert.equal(errOf(() => dir.openAt(NOFOLLOW, 'hello.txt', {}, READ)), 'bad-descriptor');
  assert.throws(() => stream.read(1n), (e) => e === STREAM_CLOSED);
});

test('a preopen that cannot be opened fails the instance, naming the directory', () => {
  assert.throws(
    () => createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false, filesystem: { preopens: [{ host: path.join(scratch, 'nope'), guest: 'x' }] } }),
    /cannot open preopened directory .*nope/,
  );
});

test('-S cwd is what wasi:cli/environment reports as the initial working directory', () => {
  const host = createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false, filesystem: { preopens: [], initialCwd: '/data' } });
  assert.equal((host.imports['wasi:cli/environment']!['initialCwd'] as () => unknown)(), '/data');
  const none = createP2Host({ env: [], output: noOutput, allowOutgoingHttp: false });
  assert.equal((none.imports['wasi:cli/environment']!['initialCwd'] as () => unknown)(), undefined);
});
