import assert from 'node:assert/strict';
import { test } from 'node:test';
import { presenterFromSearch, searchWithPresenter } from './presenter.ts';

test('presenter mode is read from ?presenter=1 and written back beside the token', () => {
  assert.equal(presenterFromSearch('?token=abc&presenter=1'), true);
  assert.equal(presenterFromSearch('?presenter=true'), true);
  assert.equal(presenterFromSearch('?presenter=0'), false);
  assert.equal(presenterFromSearch('?token=abc'), false);
  assert.equal(presenterFromSearch(''), false);
  assert.equal(searchWithPresenter('?token=abc', true), '?token=abc&presenter=1');
  assert.equal(searchWithPresenter('?token=abc&presenter=1', false), '?token=abc');
  assert.equal(searchWithPresenter('?presenter=1', false), '');
  assert.equal(searchWithPresenter('?token=a%2Bb', true), '?token=a%2Bb&presenter=1', 'the token is kept as it was');
});
