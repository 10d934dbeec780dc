/**
 * Event batches as the WebSocket carries them (issue 16 §7). As JSON objects, half of a batch's
 * bytes are its keys and type names, repeated in every event, and a browser spends CPU on every
 * byte it receives (docs/benchmarks.md, "Observer cost"). Packed, each distinct shape (an
 * event type and its keys, in order) is written once per batch and each event is a row of its
 * values. Lossless: `unpackEvents(packEvents(events))` deep-equals `events` for any JSON-safe
 * events (what the bus emits), key order included where `type` comes first (as the bus writes
 * every event). Electron IPC carries the plain form.
 */
import { z } from 'zod';
import type { ServerMessage } from './bridge.ts';
import { gaugesSchema, type PoolEvent } from './events.ts';

/** A key no event has, and one that would set an object's prototype rather than a property. */
const FORBIDDEN_KEY = '__proto__';

/** One shape: the event's `type`, then its other keys in order. */
const shapeSchema = z
  .array(z.string().refine((k) => k !== FORBIDDEN_KEY, { message: `${FORBIDDEN_KEY} is not a key` }))
  .min(1);

/** The shape a row names, if the row has a value for each of its keys. */
function shapeOf(shapes: readonly unknown[], row: unknown): readonly string[] | undefined {
  if (!Array.isArray(row) || !Number.isInteger(row[0])) return undefined;
  const shape = shapes[row[0] as number];
  return Array.isArray(shape) && shape.length === row.length ? (shape as string[]) : undefined;
}

export const packedEventsSchema = z
  .object({
    shapes: z.array(shapeSchema),
    /** Each event: its shape's index, then its values in the shape's key order. */
    rows: z.array(z.array(z.unknown()).min(1)),
  })
  .superRefine(({ shapes, rows }, ctx) => {
    rows.forEach((row, i) => {
      if (!shapeOf(shapes, row)) ctx.addIssue({ code: 'custom', path: ['rows', i], message: 'does not fit its shape' });
    });
  });
export type PackedEvents = z.infer<typeof packedEventsSchema>;

/**
 * An events batch on the WebSocket (`ServerMessage`'s `events` batch, packed). Documented as a
 * schema; the page does not run it on every batch (pushes are not checked, replies are), but
 * `unpackEvents` refuses what the schema refuses.
 */
export const packedEventsMessageSchema = z.object({
  kind: z.literal('events-packed'),
  packed: packedEventsSchema,
  gauges: gaugesSchema,
  dropped: z.number().int().nonnegative(),
});
export type PackedEventsMessage = z.infer<typeof packedEventsMessageSchema>;

export function packEvents(events: readonly PoolEvent[]): PackedEvents {
  const shapes: string[][] = [];
  const index = new Map<string, number>();
  const rows: unknown[][] = [];
  for (const event of events) {
    const record = event as unknown as Record<string, unknown>;
    // Keys whose value is undefined are left out, as JSON leaves them out of an object.
    const keys = Object.keys(record).filter((k) => k !== 'type' && record[k] !== undefined);
    const id = `${event.type}\n${keys.join('\n')}`;
    let shape = index.get(id);
    if (shape === undefined) {
      shape = shapes.length;
      index.set(id, shape);
      shapes.push([event.type, ...keys]);
    }
    const row: unknown[] = [shape];
    for (const k of keys) row.push(record[k]);
    rows.push(row);
  }
  return { shapes, rows };
}

/**
 * The events of a packed batch. What came over a socket is not trusted to be well formed: a shape
 * that is not strings (or names `__proto__`), a row naming no shape, or with too few values, is an
 * error (the caller drops the message).
 */
export function unpackEvents(packed: PackedEvents): PoolEvent[] {
  const { shapes, rows } = packed;
  if (!Array.isArray(shapes) || !Array.isArray(rows)) throw new Error('packed events: shapes and rows must be arrays');
  // The shapes through their schema (a few per batch); the rows, thousands, by hand.
  shapes.forEach((shape, i) => {
    if (!shapeSchema.safeParse(shape).success) throw new Error(`packed events: shape ${i} is not a type and keys`);
  });
  const events: PoolEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as unknown[];
    const shape = shapeOf(shapes, row);
    if (!shape) throw new Error(`packed events: row ${i} does not fit its shape`);
    const event: Record<string, unknown> = { type: shape[0] };
    for (let k = 1; k < shape.length; k++) event[shape[k] as string] = row[k];
    events[i] = event as unknown as PoolEvent;
  }
  return events;
}

type EventsMessage = Extract<ServerMessage, { kind: 'events' }>;
/** A server message as the WebSocket carries it: events batches packed, every other message as it is. */
export type WireServerMessage = Exclude<ServerMessage, EventsMessage> | PackedEventsMessage;

export function toWire(message: ServerMessage): WireServerMessage {
  if (message.kind !== 'events') return message;
  return {
    kind: 'events-packed',
    packed: packEvents(message.events),
    gauges: message.gauges,
    dropped: message.dropped,
  };
}

/** The message a dashboard acts on; throws on a packed batch that is not well formed. */
export function fromWire(message: WireServerMessage): ServerMessage {
  if (message.kind !== 'events-packed') return message;
  return { kind: 'events', events: unpackEvents(message.packed), gauges: message.gauges, dropped: message.dropped };
}
