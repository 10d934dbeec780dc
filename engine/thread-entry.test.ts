/**
 * Where threads start from. From sources: the source itself. In the packaged desktop app, files
 * inside `app.asar` are read by Electron's asar layer, which Node's loader (what starts a thread)
 * does not have: a thread starts from the copy unpacked beside the asar instead. (The bundled
 * form, `__POOLSCOPE_THREADS_DIR__`, is exercised by electron/bundle.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadEntry } from './thread-entry.ts';

test('a thread starts from its source, or from the unpacked copy of a file inside app.asar', () => {
  const source = new URL('file:///work/app/engine/thread/executor-thread.ts');
  assert.equal(threadEntry(source).href, source.href);
  const packaged = new URL('file:///opt/Poolscope/resources/app.asar/electron/build/threads/executor-thread.mjs');
  assert.equal(
    threadEntry(packaged).href,
    'file:///opt/Poolscope/resources/app.asar.unpacked/electron/build/threads/executor-thread.mjs',
  );
  const unpackedAlready = new URL(
    'file:///opt/Poolscope/resources/app.asar.unpacked/electron/build/threads/executor-thread.mjs',
  );
  assert.equal(threadEntry(unpackedAlready).href, unpackedAlready.href);
});
