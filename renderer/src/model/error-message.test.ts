import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { errorMessage } from './error-message.ts';

describe('errorMessage', () => {
  it('shows an error by its message, also one made in another realm (as the Electron preload rethrows them)', () => {
    assert.equal(errorMessage(new TypeError('bad input')), 'bad input');
    const foreign: unknown = runInNewContext('new Error("from the preload")');
    assert.equal(foreign instanceof Error, false);
    assert.equal(errorMessage(foreign), 'from the preload');
  });

  it('shows anything else thrown as text', () => {
    assert.equal(errorMessage('plain words'), 'plain words');
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage({ message: 42 }), '[object Object]');
  });
});
