import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servingLines } from './serving-lines.ts';

test('every address change after start-up has its line; a pool replaced at once or closed on exit has none', () => {
  const user = 'http://127.0.0.1:8080/';
  assert.deepEqual(servingLines({ kind: 'parked', by: 'user', component: 'demo:counter', url: user }), [
    `demo:counter keeps serving on ${user} while a scenario runs on an address of its own; the dashboard shows the scenario until it ends. This terminal prints both; demo:counter's lines start with [parked].`,
  ]);
  assert.deepEqual(
    servingLines({
      kind: 'listening',
      by: 'scenario',
      component: 'demo:hello',
      url: 'http://127.0.0.1:40001/',
      restored: false,
      wanted: null,
    }),
    ['Scenario guest demo:hello on http://127.0.0.1:40001/'],
  );
  assert.deepEqual(
    servingLines({ kind: 'listening', by: 'user', component: 'demo:counter', url: user, restored: true, wanted: null }),
    ['Scenario over: the dashboard shows demo:counter again.', `Serving HTTP on ${user}`],
  );
  assert.deepEqual(
    servingLines({
      kind: 'listening',
      by: 'user',
      component: 'demo:counter',
      url: 'http://127.0.0.1:40002/',
      restored: false,
      wanted: '127.0.0.1:8080',
    }),
    ['127.0.0.1:8080 was taken while it was free; listening elsewhere.', 'Serving HTTP on http://127.0.0.1:40002/'],
  );
  assert.deepEqual(servingLines({ kind: 'stopped', by: 'user', component: 'x', url: user, why: 'stop' }), [
    `Stopped serving HTTP on ${user}`,
  ]);
  assert.deepEqual(servingLines({ kind: 'stopped', by: 'scenario', component: 'x', url: user, why: 'switch' }), []);
  assert.deepEqual(servingLines({ kind: 'stopped', by: 'user', component: 'x', url: user, why: 'close' }), []);
});
