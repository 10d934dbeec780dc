/** The WASIp3 host's filesystem: the p2 host's wasi:filesystem@0.2 with the preopens, and the
 * check that refuses preopens to guests importing wasi:filesystem@0.3. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importsFilesystemP3 } from './capabilities.ts';
import { createP3Imports } from './imports.ts';
import { closePreopens, openPreopen, type Descriptor } from '../p2/filesystem.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/wasmtime-test-programs/', import.meta.url));
const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'poolscope-p3fs-')));
after(() => rmSync(root, { recursive: true, force: true }));

test('real WASIp3 guests import wasi:filesystem@0.2, not 0.3; a 0.3 import is found wherever it is', () => {
  for (const name of ['p3-cli-serve-hello-world.wasm', 'p3-http-echo.wasm']) {
    const bytes = readFileSync(path.join(FIXTURES, name));
    assert.equal(importsFilesystemP3(bytes), false, name);
    assert.ok(bytes.includes('wasi:filesystem/types@0.2'), name);
  }
  assert.equal(
    importsFilesystemP3(new TextEncoder().encode('\0asm...wasi:filesystem/types@0.3.0-rc-2025-09-16...')),
    true,
  );
  assert.equal(importsFilesystemP3(new TextEncoder().encode('wasi:filesystem/preopens@0.3.0')), true);
});

test('createP3Imports hands the preopens and -S cwd to the p2 filesystem, and closes them on dispose', () => {
  writeFileSync(path.join(root, 'f.txt'), 'p3 reads this');
  const preopen = openPreopen(root, '/data'); // as the CLI opens a --dir at start
  after(() => closePreopens([preopen]));
  const host = createP3Imports({
    env: [],
    output: { write() {} },
    allowOutgoingHttp: false,
    filesystem: { preopens: [preopen], initialCwd: '/data' },
  });
  const env = host.imports['wasi:cli/environment']!;
  assert.equal((env['getInitialCwd'] as () => unknown)(), '/data');
  assert.equal((env['initialCwd'] as () => unknown)(), '/data');
  const [[dir, name]] = (
    host.imports['wasi:filesystem/preopens']!['getDirectories'] as () => Array<[Descriptor, string]>
  )() as [[Descriptor, string]];
  assert.equal(name, '/data');
  const file = dir.openAt({}, 'f.txt', {}, { read: true });
  assert.equal(new TextDecoder().decode(file.read(100n, 0n)[0]), 'p3 reads this');
  host.dispose();
  assert.throws(
    () => file.read(1n, 0n),
    (e) => (e as { payload?: unknown }).payload === 'bad-descriptor',
  );

  const none = createP3Imports({ env: [], output: { write() {} }, allowOutgoingHttp: false });
  assert.deepEqual((none.imports['wasi:filesystem/preopens']!['getDirectories'] as () => unknown[])(), []);
  assert.equal((none.imports['wasi:cli/environment']!['getInitialCwd'] as () => unknown)(), undefined);
  none.dispose();
});
