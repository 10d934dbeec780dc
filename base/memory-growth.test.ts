import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryGrowthRate, memoryGrowthSpan } from './memory-growth.ts';

describe('memory-growth wording', () => {
  it('gives the rate per request and the span in binary units', () => {
    const growth = { bytesPerRequest: 65536, fromBytes: 262144, toBytes: 589824, requests: 5 };
    assert.equal(memoryGrowthRate(growth), '~64 KiB/request');
    assert.equal(memoryGrowthSpan(growth), '256 KiB → 576 KiB over 5 requests');
  });

  it('keeps small rates in bytes and large spans in MiB', () => {
    assert.equal(memoryGrowthRate({ bytesPerRequest: 100 }), '~100 B/request');
    assert.equal(
      memoryGrowthSpan({ fromBytes: 1048576, toBytes: 3670016, requests: 40 }),
      '1.0 MiB → 3.5 MiB over 40 requests',
    );
  });
});
