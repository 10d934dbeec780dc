import { formatBytes } from './bytes.ts';

/**
 * The wording of a memory-growth warning (the protocol's `worker.memory_growth`), one for the
 * CLI's stderr and the dashboard alike. Structural parameters, so this layer needs no protocol.
 */

/** `~64 KiB/request`. */
export function memoryGrowthRate(growth: { bytesPerRequest: number }): string {
  return `~${formatBytes(growth.bytesPerRequest)}/request`;
}

/** `192 KiB → 512 KiB over 5 requests`. */
export function memoryGrowthSpan(growth: { fromBytes: number; toBytes: number; requests: number }): string {
  return `${formatBytes(growth.fromBytes)} → ${formatBytes(growth.toBytes)} over ${growth.requests} requests`;
}
