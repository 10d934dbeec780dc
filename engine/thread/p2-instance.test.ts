/**
 * WASIp2 instances in-process (no thread), as an executor thread runs them: demo:sleep, loaded
 * the way the pool loads it, suspended by JSPI in `pollable.block`. Several instances share this
 * one thread. Behaviour only: the order in which calls finish, never how long they took.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadComponent } from '../component/load.ts';
import type { IncomingRequestInit, ResponseSink } from '../../base/http-exchange.ts';
import type { ComponentData } from './messages.ts';
import { instantiateP2 } from './p2-instance.ts';
import type { GuestInstance } from './guest-instance.ts';

let cacheDir: string;
let data: ComponentData;

before(async () => {
  cacheDir = await mkdtemp(path.join(tmpdir(), 'poolscope-p2-instance-'));
  const component = await loadComponent('demo:sleep', { cacheDir });
  const { moduleUrl, coreModules, world, handlerInterface } = component;
  data = { moduleUrl, coreModules, world, handlerInterface, allowOutgoingHttp: false };
});

after(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

function instantiate(options: { signal?: AbortSignal; beforeBlock?: () => void } = {}): Promise<GuestInstance> {
  return instantiateP2({
    data,
    env: [],
    output: { write() {} },
    beforeBlock: options.beforeBlock ?? (() => {}),
    signal: options.signal,
  });
}

function request(pathWithQuery: string): IncomingRequestInit {
  return { method: 'GET', scheme: 'http', authority: 'localhost', pathWithQuery, headers: [], body: new Uint8Array(0) };
}

/** Runs one request; `log` gets `<name> end` when the response is complete, `<name> returned`
 * when `handle` resolves, `<name> rejected` when it rejects. */
function run(guest: GuestInstance, name: string, pathWithQuery: string, log: string[]) {
  const body: string[] = [];
  const sink: ResponseSink = {
    head: () => {},
    chunk: (bytes) => body.push(new TextDecoder().decode(bytes)),
    end: () => log.push(`${name} end`),
    error: (message) => log.push(`${name} error ${message}`),
    abort: (message) => log.push(`${name} abort ${message}`),
  };
  const done = Promise.resolve(guest.handle(request(pathWithQuery), sink)).then(
    () => void log.push(`${name} returned`),
    (error: unknown) => {
      log.push(`${name} rejected`);
      throw error;
    },
  );
  return { done, body: () => body.join('') };
}

test('two sleeping instances share the thread: the short sleep finishes first', async () => {
  const blocked: string[] = [];
  const a = await instantiate({ beforeBlock: () => blocked.push('A') });
  const b = await instantiate({ beforeBlock: () => blocked.push('B') });
  const log: string[] = [];
  const long = run(a, 'A', '/?ms=2000', log);
  const short = run(b, 'B', '/?ms=20', log);
  await short.done;
  assert.deepEqual(log, ['B end', 'B returned'], 'B finished while A still sleeps');
  assert.equal(short.body(), 'slept 20 ms');
  assert.deepEqual(blocked.sort(), ['A', 'B'], 'each one suspended in its blocking call');
  await long.done;
  assert.deepEqual(log, ['B end', 'B returned', 'A end', 'A returned']);
  assert.equal(long.body(), 'slept 2000 ms');
});

// A hang guard, not a duration: before the glue fix (component/jspi-glue.ts) the abort left A suspended for ever.
test('aborting a sleeping instance rejects its handle with the reason; another instance still works', {
  timeout: 60_000,
}, async () => {
  const controller = new AbortController();
  let suspended!: () => void;
  const asleep = new Promise<void>((resolve) => (suspended = resolve));
  const a = await instantiate({ signal: controller.signal, beforeBlock: () => suspended() });
  const b = await instantiate();
  const log: string[] = [];
  const forever = run(a, 'A', '/', log); // no ?ms: sleeps until the end of time
  await asleep;
  const reason = new Error('the instance was disposed');
  controller.abort(reason);
  await assert.rejects(forever.done, (error) => error === reason);
  const after = run(b, 'B', '/?ms=20', log);
  await after.done;
  assert.deepEqual(log, ['A rejected', 'B end', 'B returned']);
  assert.equal(after.body(), 'slept 20 ms');
});
