import type { EventBus } from '../events/event-bus.ts';
import type { PoolEvent } from '../../protocol/index.ts';

/**
 * Requests an instance may grow in while it warms up (allocator arenas, lazily built tables):
 * growth after the first few is not counted.
 */
export const WARM_UP_REQUESTS = 3;
/** Separate requests after warm-up that grew memory before an instance is flagged. */
export const GROWTHS_TO_FLAG = 5;

interface Curve {
  /** Size when warm-up ended (the last size reported at or before WARM_UP_REQUESTS). */
  baseBytes: number | null;
  baseRequests: number;
  growths: number;
  flagged: boolean;
}

/**
 * Watches `worker.memory` (each instance's linear memory size after its requests) and emits
 * `worker.memory_growth` once for an instance whose memory keeps growing with the requests it
 * serves: a healthy instance levels off after warm-up, a leaking allocator or unbounded cache
 * does not. The rate is the growth since warm-up divided by the requests since.
 */
export function watchMemoryGrowth(bus: EventBus): () => void {
  const curves = new Map<number, Curve>();
  return bus.subscribe((event: PoolEvent) => {
    if (event.type === 'worker.exit') {
      curves.delete(event.instanceId);
      return;
    }
    if (event.type !== 'worker.memory') return;
    let curve = curves.get(event.instanceId);
    if (!curve) {
      curve = { baseBytes: null, baseRequests: 0, growths: 0, flagged: false };
      curves.set(event.instanceId, curve);
    }
    if (curve.baseBytes === null || event.requestsDone <= WARM_UP_REQUESTS) {
      // Still warming up: the last size seen by the end of warm-up is the baseline.
      curve.baseBytes = event.bytes;
      curve.baseRequests = event.requestsDone;
      return;
    }
    // Sizes are reported only when they change, and linear memory never shrinks: each report is a growth.
    curve.growths++;
    if (curve.flagged || curve.growths < GROWTHS_TO_FLAG) return;
    curve.flagged = true;
    const requests = event.requestsDone - curve.baseRequests;
    bus.emit({
      type: 'worker.memory_growth',
      instanceId: event.instanceId,
      bytesPerRequest: (event.bytes - curve.baseBytes) / requests,
      fromBytes: curve.baseBytes,
      toBytes: event.bytes,
      requests,
      growths: curve.growths,
    });
  });
}
