import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmtT, fmtTick, fmtTLong, TIME_BASE_LABEL, tickStep, ticks } from './time-base.ts';

describe('the one time base', () => {
  it('is engine time in seconds, to the millisecond, and says so', () => {
    assert.equal(fmtT(35_394.4), '35.394');
    assert.equal(fmtT(0), '0.000');
    assert.equal(fmtTLong(1_250), 't = 1.250 s');
    assert.equal(TIME_BASE_LABEL, 't (s since engine start)');
  });

  it('ticks are round multiples, at most as many as asked, labelled with the decimals their step needs', () => {
    assert.equal(tickStep(10_000, 8), 2000);
    assert.equal(tickStep(10_000, 12), 1000);
    assert.equal(tickStep(800, 8), 100);
    assert.equal(tickStep(120_000, 6), 20_000);
    assert.deepEqual(ticks(33_700, 40_100, 2000), [34_000, 36_000, 38_000, 40_000]);
    assert.deepEqual(ticks(-3000, 1000, 1000), [0, 1000], 'nothing before engine start');
    assert.equal(fmtTick(36_000, 2000), '36');
    assert.equal(fmtTick(36_500, 500), '36.5');
    assert.equal(fmtTick(36_250, 50), '36.25');
    assert.equal(fmtTick(36_257, 5), '36.257');
  });
});
