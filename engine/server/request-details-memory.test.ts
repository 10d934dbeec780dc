/**
 * The request detail store's character bound is a memory bound: a kept cut of a long text must
 * not keep the whole text alive (V8's `slice` is a view of its source). Measured on the heap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { REQUEST_DETAIL_LIMITS } from '../../protocol/index.ts';
import { EventBus } from '../events/event-bus.ts';
import { RequestDetails } from './request-details.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('kept output lines cut from 64 KiB lines hold their 500 characters, not the 64 KiB', () => {
  const bus = new EventBus();
  const details = new RequestDetails(bus, REQUEST_DETAIL_LIMITS);
  const requests = 40;
  const linesEach = REQUEST_DETAIL_LIMITS.outputLines;
  const before = heapAfterGc();
  for (let id = 0; id < requests; id++) {
    bus.emit({ type: 'worker.spawned', instanceId: id, reason: 'no-available-worker' });
    bus.emit({ type: 'request.received', requestId: id, method: 'GET', uri: '/' });
    bus.emit({ type: 'request.accepted', requestId: id, instanceId: id, inFlight: 1, reuseCount: 1 });
    for (let i = 0; i < linesEach; i++) {
      // A new string per line, as the engine decodes each line a guest writes (64 KiB: its line cap).
      const line = Buffer.alloc(64 * 1024, 97 + (i % 26)).toString('latin1');
      bus.emit({ type: 'guest.output', instanceId: id, stream: 'stdout', line });
    }
    bus.emit({ type: 'request.completed', requestId: id, instanceId: id, durationMs: 1, bodyBytes: 0 });
    bus.emit({ type: 'worker.exit', instanceId: id, cause: 'idle-timeout', served: 1, lifetimeMs: 1, message: null });
  }
  const grown = heapAfterGc() - before;
  const { chars } = details.stats();
  // Each request: its lines, cut, and 'GET' and '/'.
  assert.equal(chars, requests * (linesEach * REQUEST_DETAIL_LIMITS.outputLineChars + 4), 'every line kept, cut');
  // 1 MB of kept characters; the 64 KiB lines they were cut from were 128 MiB.
  assert.ok(grown < 16 * 1024 * 1024, `the heap grew ${(grown / 1048576).toFixed(1)} MiB for ${chars} characters kept`);
  details.close();
});
