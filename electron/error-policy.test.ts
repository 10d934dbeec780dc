/** The main process's policy for unexpected errors, driven through a stand-in for `process`. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { installMainProcessErrorPolicy } from './error-policy.ts';

function setup(notify: (message: string) => void = () => {}) {
  const source = new EventEmitter();
  const logged: string[] = [];
  const notified: string[] = [];
  installMainProcessErrorPolicy(source, {
    log: (line) => logged.push(line),
    notify: (message) => {
      notified.push(message);
      notify(message);
    },
  });
  return { source, logged, notified };
}

describe('main-process error policy', () => {
  it('logs an uncaught exception with its context and stack, and tells the user once', () => {
    const { source, logged, notified } = setup();
    const error = new Error('engine hiccup');
    source.emit('uncaughtException', error, 'uncaughtException');
    assert.equal(logged.length, 1);
    assert.match(
      logged[0]!,
      /^error: unexpected error in the main process \(uncaught exception\); the app keeps running: Error: engine hiccup\n {4}at /,
    );
    assert.deepEqual(notified, ['engine hiccup']);
  });

  it('logs an unhandled rejection, whatever its reason is', () => {
    const { source, logged, notified } = setup();
    source.emit('unhandledRejection', 42);
    source.emit('unhandledRejection', undefined);
    assert.deepEqual(logged, [
      'error: unexpected error in the main process (unhandled rejection); the app keeps running: 42',
      'error: unexpected error in the main process (unhandled rejection); the app keeps running: undefined',
    ]);
    assert.deepEqual(notified, ['42', 'undefined']);
  });

  it('summarises repeats instead of flooding the log or the screen', () => {
    const { source, logged, notified } = setup();
    for (let i = 0; i < 1000; i++) source.emit('uncaughtException', new Error('again'), 'uncaughtException');
    assert.equal(notified.length, 1);
    assert.deepEqual(logged.slice(1), [
      'error: the same unexpected error again (2 times so far): again',
      'error: the same unexpected error again (10 times so far): again',
      'error: the same unexpected error again (100 times so far): again',
      'error: the same unexpected error again (1000 times so far): again',
    ]);
  });

  it('survives a failing notification', () => {
    const { source, logged } = setup(() => {
      throw new Error('no display');
    });
    source.emit('uncaughtException', new Error('first'), 'uncaughtException');
    assert.match(logged[1]!, /could not show the error: Error: no display/);
  });
});
