/**
 * Event batches as the WebSocket carries them (issue 16 §7). As JSON objects, half of a batch's
 * bytes are its keys and type names, repeated in every event, and a browser spends CPU on every
 * byte it receives (docs/benchmarks.md, "Observer cost"). Packed, each distinct shape (an
 * event type and its keys, in order) is written once per batch and each event is a row of its
 * values. Lossless: `unpackEvents(packEvents(events))` deep-equals `events` for any JSON-safe
 * events (what the bus emits), key order included. Electron IPC carries the plain form.
 */
import type { ServerMessage } from './bridge.ts';
import type { Gauges, PoolEvent } from './events.ts';

export interface PackedEvents {
  /** Each shape: the event's `type`, then its other keys in order. */
  shapes: string[][];
  /** Each event: its shape's index, then its values in the shape's key order. */
  rows: unknown[][];
}

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
 * The events of a packed batch. What came over a socket is not trusted to be well formed: a row
 * naming no shape, or with too few values, is an error (the caller drops the message).
 */
export function unpackEvents(packed: PackedEvents): PoolEvent[] {
  const { shapes, rows } = packed;
  if (!Array.isArray(shapes) || !Array.isArray(rows)) throw new Error('packed events: shapes and rows must be arrays');
  const events: PoolEvent[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const shape = Array.isArray(row) && Number.isInteger(row[0]) ? shapes[row[0] as number] : undefined;
    if (!row || !Array.isArray(shape) || row.length !== shape.length)
      throw new Error(`packed events: row ${i} does not fit its shape`);
    const event: Record<string, unknown> = { type: shape[0] };
    for (let k = 1; k < shape.length; k++) event[shape[k] as string] = row[k];
    events[i] = event as unknown as PoolEvent;
  }
  return events;
}

type EventsMessage = Extract<ServerMessage, { kind: 'events' }>;
/** An events batch on the WebSocket. */
export interface PackedEventsMessage {
  kind: 'events-packed';
  packed: PackedEvents;
  gauges: Gauges;
  dropped: number;
}
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
