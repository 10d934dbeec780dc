import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inRange, type ListGeometry, nearRows } from './near-rows.ts';

/** 100 rows of 25 px at the top of a 250 px view (10 rows visible). */
const list: ListGeometry = { listTop: 0, listHeight: 2500, rows: 100, viewTop: 0, viewBottom: 250, estimate: 25 };

describe('nearRows', () => {
  it('draws the rows in view and up to a view (at least four estimated rows) beyond on each side', () => {
    assert.deepEqual(nearRows(list), { first: 0, end: 20 });
    // Scrolled: the list moved 1,000 px up under the view, rows 40-49 are visible.
    assert.deepEqual(nearRows({ ...list, listTop: -1000 }), { first: 30, end: 60 });
  });

  it('takes the rows as equally tall: the list height over its rows', () => {
    // Rows of 50 px: rows 20-24 visible, one view (5 rows) each side.
    assert.deepEqual(nearRows({ ...list, listHeight: 5000, listTop: -1000 }), { first: 15, end: 30 });
  });

  it('uses the estimate while the list has no rows, and a band of at least four of them in a tiny view', () => {
    assert.deepEqual(nearRows({ ...list, listHeight: 0, rows: 0, viewBottom: 10 }), { first: 0, end: 5 });
  });

  it('draws nothing of a list far below the view, and an empty band when the view has no height', () => {
    assert.deepEqual(nearRows({ ...list, listTop: 5000 }), { first: 0, end: 0 });
    const hidden = nearRows({ ...list, listTop: -1000, viewTop: 300, viewBottom: 300 });
    assert.ok(hidden.end - hidden.first <= 8, 'no wider than the margin of four rows on each side');
  });
});

describe('inRange', () => {
  it('places an item by its row: index over items per row', () => {
    const range = { first: 2, end: 4 };
    assert.deepEqual(
      [0, 5, 6, 11, 12].map((i) => inRange(range, i, 3)),
      [false, false, true, true, false],
    );
    assert.equal(inRange(range, 3, 0), true, 'no columns measured yet counts as one per row');
  });
});
