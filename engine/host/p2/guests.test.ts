/**
 * End to end: the demo guests (assets/guests/dist, built by assets/guests/build.ts — not rebuilt
 * here) transpiled with jco (in JSPI mode, as the transpile cache does) and instantiated against
 * our host, then driven through their `wasi:http/incoming-handler.handle` export.
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { rethrowHostImportRejections } from '../../component/jspi-glue.ts';
import type { P2Host } from './api.ts';
import type { IncomingRequestInit } from '../../../base/http-exchange.ts';
import { createP2Host } from './index.ts';
import { ASYNC_EXPORTS, ASYNC_IMPORTS } from './jspi.ts';
import { bytes, getRequest, recordingSink, str } from './test-support.ts';

const DIST = fileURLToPath(new URL('../../../assets/guests/dist/', import.meta.url));
const guestFile = (name: string): string => path.join(DIST, `${name}.wasm`);

interface Transpiled {
  instantiate(getCoreModule: (name: string) => WebAssembly.Module, imports: P2Host['imports']): Promise<GuestInstance>;
  modules: Map<string, WebAssembly.Module>;
}
interface GuestInstance {
  incomingHandler: { handle(request: unknown, responseOutparam: unknown): Promise<void> };
}

const tempDirs: string[] = [];
after(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

const transpiled = new Map<string, Promise<Transpiled>>();

/** Transpiles a guest once per test run into a temp dir, and compiles its core modules. */
function transpile(name: string): Promise<Transpiled> {
  let p = transpiled.get(name);
  if (p === undefined) {
    p = (async () => {
      const { files } = await transpileBytes(await readFile(guestFile(name)), {
        name: 'guest',
        instantiation: 'async',
        asyncMode: 'jspi',
        asyncImports: ASYNC_IMPORTS,
        asyncExports: ASYNC_EXPORTS,
      });
      const dir = await mkdtemp(path.join(tmpdir(), `poolscope-p2-${name}-`));
      tempDirs.push(dir);
      await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
      const modules = new Map<string, WebAssembly.Module>();
      for (const [file, data] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(
          path.join(dir, file),
          file.endsWith('.js') ? rethrowHostImportRejections(new TextDecoder().decode(data)) : data,
        );
        if (file.endsWith('.wasm')) modules.set(file, await WebAssembly.compile(data as Uint8Array<ArrayBuffer>));
      }
      const glue = (await import(pathToFileURL(path.join(dir, 'guest.js')).href)) as Pick<Transpiled, 'instantiate'>;
      return { instantiate: glue.instantiate, modules };
    })();
    transpiled.set(name, p);
  }
  return p;
}

interface Guest {
  host: P2Host;
  output: string[];
  instance: GuestInstance;
}

async function instantiate(name: string): Promise<Guest> {
  const { instantiate, modules } = await transpile(name);
  const output: string[] = [];
  const host = createP2Host({
    env: [['INSTANCE_ID', '1']],
    output: { write: (stream, b) => output.push(`${stream}:${str(b)}`) },
    allowOutgoingHttp: false,
  });
  const getCoreModule = (file: string): WebAssembly.Module => {
    const m = modules.get(file);
    if (m === undefined) throw new Error(`no core module ${file}`);
    return m;
  };
  return { host, output, instance: await instantiate(getCoreModule, host.imports) };
}

async function call(guest: Guest, init: Partial<IncomingRequestInit> = {}) {
  const rec = recordingSink();
  const { request, responseOutparam } = guest.host.newRequest(getRequest(init), rec.sink);
  await guest.instance.incomingHandler.handle(request, responseOutparam);
  return rec;
}

function guestTest(name: string, title: string, body: () => Promise<void>): void {
  const missing = !existsSync(guestFile(name));
  test(
    `guest ${name}: ${title}`,
    { skip: missing && `${guestFile(name)} is missing (run node assets/guests/build.ts)` },
    body,
  );
}

guestTest('hello', 'answers 200 "Hello, WASI!"', async () => {
  const guest = await instantiate('hello');
  const rec = await call(guest);
  assert.equal(rec.calls[0], 'head 200');
  assert.equal(rec.calls.at(-1), 'end');
  assert.equal(rec.body(), 'Hello, WASI!');
});

guestTest('echo', 'streams the request body back with x-method and x-path', async () => {
  const guest = await instantiate('echo');
  const payload = '0123456789'.repeat(1000); // > 4096: several read/write rounds
  const rec = await call(guest, { method: 'POST', pathWithQuery: '/e?x=1', body: bytes(payload) });
  assert.equal(rec.calls[0], 'head 200');
  assert.equal(rec.calls.at(-1), 'end');
  assert.ok(rec.calls.length > 3, 'the body arrives in several chunks');
  assert.equal(rec.body(), payload);
  assert.deepEqual(rec.headers, [
    ['x-method', 'POST'],
    ['x-path', '/e?x=1'],
  ]);

  const other = await call(guest, { method: 'PURGE' });
  assert.deepEqual(other.headers, [
    ['x-method', 'PURGE'],
    ['x-path', '/'],
  ]);
  assert.deepEqual(other.calls, ['head 200', 'end']);
});

guestTest('print', 'writes stdout/stderr through the output sink, then answers 200', async () => {
  const guest = await instantiate('print');
  const rec = await call(guest);
  assert.deepEqual(rec.calls, ['head 200', 'end']);
  const joined = (stream: string): string =>
    guest.output
      .filter((o) => o.startsWith(`${stream}:`))
      .map((o) => o.slice(stream.length + 1))
      .join('');
  assert.equal(joined('stdout'), 'this is half a print to stdout\n\nafter empty\n');
  assert.equal(joined('stderr'), 'this is half a print to stderr\n\nafter empty\nstart a print 1234\n');
});

guestTest('counter', 'keeps per-instance state across requests', async () => {
  const guest = await instantiate('counter');
  assert.equal((await call(guest)).body(), 'count=1');
  assert.equal((await call(guest)).body(), 'count=2');
  assert.equal((await call(await instantiate('counter'))).body(), 'count=1', 'a fresh instance starts over');
});

guestTest('sleep', 'pollable.block suspends the instance, not the thread', async () => {
  const guest = await instantiate('sleep');
  let ranMeanwhile = false;
  setImmediate(() => (ranMeanwhile = true));
  const t0 = performance.now();
  const rec = await call(guest, { pathWithQuery: '/?ms=30' });
  assert.ok(performance.now() - t0 >= 29);
  assert.equal(rec.body(), 'slept 30 ms');
  assert.equal(ranMeanwhile, true, 'the thread ran other work while the guest slept');
});

guestTest('never-set', 'returns without touching the sink', async () => {
  const rec = await call(await instantiate('never-set'));
  assert.deepEqual(rec.calls, []);
});

guestTest('trap', 'traps before setting a response', async () => {
  const guest = await instantiate('trap');
  const rec = recordingSink();
  const { request, responseOutparam } = guest.host.newRequest(
    { method: 'GET', scheme: 'http', authority: 'x', pathWithQuery: '/', headers: [], body: new Uint8Array(0) },
    rec.sink,
  );
  await assert.rejects(guest.instance.incomingHandler.handle(request, responseOutparam), WebAssembly.RuntimeError);
  assert.deepEqual(rec.calls, []);
});
