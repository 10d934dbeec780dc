import { z } from 'zod';
import { poolKnobsPatchSchema } from './knobs.ts';
import { leakDetectionPatchSchema, leakDetectionSchema } from './leak-detection.ts';
import { loadClientTimeoutSchema, loadRunSummarySchema } from './load-run.ts';
import { requestDetailReplySchema } from './request-detail.ts';
import { scenarioProgressSchema } from './scenarios.ts';
import { snapshotSchema } from './snapshot.ts';

/**
 * Dashboard → engine: the commands, and for each one the schema of its reply (the command → reply
 * map, as GitHub Desktop's `RequestResponseChannels`), so a reply is typed by the command that
 * asked for it on every transport.
 */

const componentSpec = z
  .string()
  .min(1, { error: 'component must be a path to a .wasm file or demo:<name>' })
  .max(4096, { error: 'component path is too long' });

/** A path that URL resolution would read as another host: `//host/…`, or `/\host/…` (`\` counts as `/`). */
const SERVER_RELATIVE = /^\/[/\\]/;
/** Not valid in a request target; URL parsing also drops tabs and newlines, hiding a `//`. */
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/** Commands, validated on arrival: a bad one gets an error reply and changes nothing. */
export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('load'), component: componentSpec }),
  z.strictObject({ type: z.literal('start') }),
  z.strictObject({ type: z.literal('stop') }),
  z.strictObject({ type: z.literal('setKnobs'), patch: poolKnobsPatchSchema }),
  z.strictObject({ type: z.literal('setLeakDetection'), patch: leakDetectionPatchSchema }),
  z.strictObject({ type: z.literal('clearHistory') }),
  z.strictObject({
    type: z.literal('runScenario'),
    name: z.string().min(1, { error: 'scenario name is empty' }).max(100),
    quick: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal('stopScenario') }),
  z.strictObject({ type: z.literal('snapshot') }),
  /** What the engine kept of one recent request (headers, sizes, output); `poolId` guards against an older pool's id. */
  z.strictObject({
    type: z.literal('requestDetail'),
    requestId: z.number().int().nonnegative(),
    poolId: z.number().int().nonnegative().optional(),
  }),
  z.strictObject({
    type: z.literal('sendRequests'),
    count: z
      .number()
      .int()
      .min(1, { error: 'count must be at least 1' })
      .max(100_000, { error: 'count must be at most 100000' }),
    concurrency: z
      .number()
      .int()
      .min(1, { error: 'concurrency must be at least 1' })
      .max(1000, { error: 'concurrency must be at most 1000' }),
    path: z
      .string()
      .max(2048, { error: 'path must be at most 2048 characters' })
      .startsWith('/', { error: 'path must start with /' })
      .refine((path) => !SERVER_RELATIVE.test(path), {
        error: 'path must start with a single / (//host or /\\host would name another server)',
      })
      .refine((path) => !CONTROL_OR_SPACE.test(path), {
        error: 'path must not contain spaces or control characters (percent-encode them)',
      }),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']).default('GET'),
    /** The client's timeout per request (default 10 s); a request past it counts as a client timeout. */
    timeoutMs: loadClientTimeoutSchema.optional(),
  }),
]);

/** A command as the engine runs it (defaults filled in). */
export type Command = z.infer<typeof commandSchema>;
/** A command as a dashboard sends it (fields with defaults may be left out). */
export type CommandInput = z.input<typeof commandSchema>;
export type CommandType = Command['type'];
export type CommandOf<K extends CommandType> = Extract<Command, { type: K }>;

/** What each command replies with when it succeeds. */
export const commandReplySchemas = {
  /** The new component's first snapshot. */
  load: snapshotSchema,
  start: snapshotSchema,
  stop: snapshotSchema,
  /** The knobs in force (clamped for the world) and as set, after the patch. */
  setKnobs: snapshotSchema.pick({ knobs: true, requestedKnobs: true }),
  /** The settings in force after the patch. */
  setLeakDetection: leakDetectionSchema,
  /** The state to start afresh from (history lives in the dashboards). */
  clearHistory: snapshotSchema,
  /** The run started; its progress arrives as `scenario` messages. */
  runScenario: z.object({ runId: z.number().int().nonnegative() }),
  /** How the stopped run ended. */
  stopScenario: scenarioProgressSchema,
  snapshot: snapshotSchema,
  /** The request's kept detail, or why there is none. */
  requestDetail: requestDetailReplySchema,
  /** Once the run is over; its progress arrived as `load-progress` messages. */
  sendRequests: loadRunSummarySchema,
} satisfies Record<CommandType, z.ZodType>;

export type CommandReplies = { [K in CommandType]: z.infer<(typeof commandReplySchemas)[K]> };
/** The reply to `command`, typed by its `type`. */
export type ReplyTo<C extends { type: CommandType }> = CommandReplies[C['type']];

/** How a command went, on every transport: its reply, or the engine's error message. */
export type CommandResult<R = unknown> = { ok: true; result: R } | { ok: false; error: string };

/** The map again, each schema typed by its own reply, so a generic key finds its reply type. */
const replySchemas: { [K in CommandType]: z.ZodType<CommandReplies[K]> } = commandReplySchemas;

/** Checks a reply that crossed a process boundary against the schema for its command. */
export function parseReply<K extends CommandType>(type: K, result: unknown): CommandResult<CommandReplies[K]> {
  const schema = replySchemas[type];
  const parsed = schema.safeParse(result);
  if (parsed.success) return { ok: true, result: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; ');
  return { ok: false, error: `the engine's reply to ${type} does not match the protocol: ${issues}` };
}

export const clientMessageSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  command: commandSchema,
});
export type ClientMessage = z.infer<typeof clientMessageSchema>;
