import { z } from 'zod';
import { gaugesSchema, poolEventSchema, type ExitCause, type FailureKind } from './events.ts';
import type { CommandInput, ReplyTo } from './commands.ts';
import { loadProgressSchema } from './load-run.ts';
import { scenarioProgressSchema } from './scenarios.ts';
import { snapshotSchema } from './snapshot.ts';

/**
 * The dashboard bridge: what flows between the engine and a dashboard, over either transport
 * (a WebSocket in web mode, Electron IPC in the desktop app). The engine pushes batches of events
 * at a bounded rate; the dashboard sends commands (commands.ts) and gets one reply per command.
 */
export * from './commands.ts';
export * from './history.ts';
export * from './load-run.ts';
export * from './snapshot.ts';

/** Engine → dashboard, over the WebSocket (over IPC replies come back from `invoke` instead). */
export const replyMessageSchema = z.union([
  z.object({ kind: z.literal('reply'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('reply'), id: z.number().int(), ok: z.literal(false), error: z.string() }),
]);
export type ReplyMessage = z.infer<typeof replyMessageSchema>;

/** Engine → dashboard. */
export const serverMessageSchema = z.union([
  z.object({ kind: z.literal('snapshot'), snapshot: snapshotSchema }),
  /** Events since the previous batch, in order, with the gauges at the end of the batch. */
  z.object({
    kind: z.literal('events'),
    events: z.array(poolEventSchema),
    gauges: gaugesSchema,
    dropped: z.number().int().nonnegative(),
  }),
  z.object({ kind: z.literal('load-progress'), progress: loadProgressSchema }),
  z.object({ kind: z.literal('scenario'), progress: scenarioProgressSchema }),
  replyMessageSchema,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** Reasons an instance left, in the words the dashboard shows. */
export const EXIT_CAUSE_LABELS: Record<ExitCause, string> = {
  drained: 'drained',
  'idle-timeout': 'idle timeout',
  watchdog: 'watchdog',
  trap: 'trap',
  'instantiation-failed': 'instantiation failed',
  'executor-lost': 'executor lost',
  'worker-crashed': 'worker crashed',
  shutdown: 'shutdown',
};

/** Kinds of failed request, in the words the dashboard shows. */
export const FAILURE_KIND_LABELS: Record<FailureKind, string> = {
  'never-set': 'never set',
  'guest-error': 'guest error',
  timeout: 'timeout',
  trap: 'trap',
  instantiation: 'instantiation',
  shutdown: 'shutdown',
  'client-gone': 'client gone',
  refused: 'refused',
};

/** The transport-neutral client side, implemented over a WebSocket and over Electron IPC. */
export interface BridgeClient {
  /** Sends a command; resolves with its reply or rejects with the engine's error message. */
  send<C extends CommandInput>(command: C): Promise<ReplyTo<C>>;
  /** Receives every server push (snapshots, event batches, load progress). */
  subscribe(listener: (message: ServerMessage) => void): () => void;
  close(): void;
}

/** Batching interval of event pushes while the stream is quiet: an event reaches a dashboard this long after it happened, at most. */
export const EVENT_BATCH_INTERVAL_MS = 50;
/**
 * Batching interval under load (from `LOADED_EVENTS_PER_SECOND`): the page draws at most every
 * 250 ms anyway (its pacer), and a WebSocket message costs Chromium ~3 ms of CPU whatever its
 * size, so a loaded stream goes out in a fifth as many messages (issue 16 §7, docs/benchmarks.md).
 */
export const LOADED_EVENT_BATCH_INTERVAL_MS = 250;
/** Events per second from which the stream counts as loaded (~180 req/s of a reuse-1 guest); it stops at half of it. */
export const LOADED_EVENTS_PER_SECOND = 2000;
/**
 * Events kept per 50 ms of batching (5,000; 25,000 in a loaded batch: 100,000 a second either
 * way); beyond this the oldest request-level events are dropped (counted).
 */
export const MAX_EVENTS_PER_BATCH = 5000;
