/** What a snapshot says of one live instance: its own module so `history.ts` and `snapshot.ts` both build on it. */
import { z } from 'zod';
import { instanceStatusSchema, unavailableWhySchema } from './events.ts';

const count = z.number().int().nonnegative();

/** One live instance as the engine sees it now (for a dashboard that connects mid-run). */
export const instanceSnapshotSchema = z.object({
  instanceId: count,
  status: z.union([instanceStatusSchema, z.literal('Starting')]),
  available: z.boolean(),
  unavailableWhy: unavailableWhySchema.nullable(),
  draining: z.boolean(),
  reuseCount: count,
  inFlight: count,
  createdAt: z.number().nonnegative(),
  memoryBytes: count.nullable(),
  /** Requests it answered / that failed on it (the shared fold counts them); absent in old recordings. */
  ok: count.optional(),
  failed: count.optional(),
});
export type InstanceSnapshot = z.infer<typeof instanceSnapshotSchema>;
