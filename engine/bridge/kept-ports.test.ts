import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeptPorts } from './kept-ports.ts';

const HOST = '127.0.0.1';

test('--addr host:0: the first bind takes any free port, every later pool of the same owner that port', () => {
  const ports = new KeptPorts({ host: HOST, port: 0 });
  assert.deepEqual(ports.listenFor('user', true), { host: HOST, port: 0 });
  assert.equal(ports.mayMove('user', { host: HOST, port: 0 }), false, 'nothing kept yet');
  ports.bound('user', 41000);
  assert.deepEqual(ports.listenFor('user', true), { host: HOST, port: 41000 });
  assert.equal(ports.mayMove('user', { host: HOST, port: 41000 }), true, 'a kept port taken meanwhile');
});

test('--addr host:8080: the first bind is the asked port, and a refusal there is final', () => {
  const ports = new KeptPorts({ host: HOST, port: 8080 });
  assert.deepEqual(ports.listenFor('user', true), { host: HOST, port: 8080 });
  assert.equal(ports.mayMove('user', { host: HOST, port: 8080 }), false);
});

test("a scenario never takes the user's address: a free port of its own, kept for its next guests, and a free one again next run", () => {
  const ports = new KeptPorts({ host: HOST, port: 8080 });
  ports.bound('user', 8080);
  assert.deepEqual(ports.listenFor('scenario', true), { host: HOST, port: 0 });
  ports.bound('scenario', 42000);
  assert.deepEqual(ports.listenFor('scenario', true), { host: HOST, port: 42000 });
  assert.equal(ports.mayMove('scenario', { host: HOST, port: 42000 }), true);
  ports.newScenario();
  assert.deepEqual(ports.listenFor('scenario', true), { host: HOST, port: 0 });
  assert.deepEqual(ports.listenFor('user', true), { host: HOST, port: 8080 }, "the user's stays");
});

test('with nothing of the user (poolscope demo) a scenario takes the asked address, and its last guest becomes the user', () => {
  const ports = new KeptPorts({ host: HOST, port: 8080 });
  assert.deepEqual(ports.listenFor('scenario', false), { host: HOST, port: 8080 });
  ports.bound('scenario', 8080);
  ports.scenarioToUser();
  assert.deepEqual(ports.listenFor('user', false), { host: HOST, port: 8080 });
  // A user who has a component (loaded, not serving) still keeps the asked address for themselves.
  const other = new KeptPorts({ host: HOST, port: 8080 });
  assert.deepEqual(other.listenFor('scenario', true), { host: HOST, port: 0 });
});
