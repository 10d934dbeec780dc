/**
 * Outgoing requests as events (`request.outgoing`, `request.outgoing_dropped`): their bounds and
 * the one place their texts are cut to size (their schemas, which check the bounds, are in events.ts).
 */
import type { OutgoingCall, RequestOutgoing } from './events.ts';

/**
 * `request.outgoing` events per instance per second, at most (a fixed one-second window per
 * instance). Past it, an instance's outgoing requests are counted, and the count is reported in
 * one `request.outgoing_dropped` when the window ends (or the instance exits): a guest calling
 * out in a loop costs the bus, the event log and the dashboard a bounded rate.
 */
export const MAX_OUTGOING_EVENTS_PER_SECOND = 100;

/** Characters kept of each text of an outgoing request (longer ones end in `…`). */
export const OUTGOING_TEXT_LIMITS = {
  method: 64,
  scheme: 64,
  authority: 300,
  path: 1024,
  errorTag: 64,
  errorDetail: 500,
} as const;

/** Calls kept per side (reused, fresh) in a `leak.checked` event's `outgoing`. */
export const MAX_LEAK_OUTGOING_CALLS = 20;

/**
 * `text` cut to `max` characters, the last one an ellipsis when anything was cut. A cut text is
 * copied: in V8 a `slice` is a view that keeps the whole original alive, so 500 characters kept of
 * a 64 KiB text would hold all 64 KiB (measured in request-details-memory.test.ts).
 */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`.split('').join('');
}

/** Characters kept of a failure or exit message (a guest's trap or error text can be any size). */
export const EVENT_MESSAGE_MAX_CHARS = 2000;

/** A failure or exit message within `EVENT_MESSAGE_MAX_CHARS`. */
export function boundMessage(text: string): string {
  return boundText(text, EVENT_MESSAGE_MAX_CHARS);
}

/** An outgoing call with every text within `OUTGOING_TEXT_LIMITS`. */
export function boundedCall(call: OutgoingCall): OutgoingCall {
  const l = OUTGOING_TEXT_LIMITS;
  return {
    method: boundText(call.method, l.method),
    scheme: boundText(call.scheme, l.scheme),
    authority: boundText(call.authority, l.authority),
    path: boundText(call.path, l.path),
    status: call.status,
    durationMs: call.durationMs,
    outcome: call.outcome,
    error:
      call.error === null
        ? null
        : {
            tag: boundText(call.error.tag, l.errorTag),
            detail: call.error.detail === null ? null : boundText(call.error.detail, l.errorDetail),
          },
    requestBytes: call.requestBytes,
    responseBytes: call.responseBytes,
  };
}

/** The call a `request.outgoing` event reports, without the event's own fields. */
export function callOf(event: RequestOutgoing): OutgoingCall {
  const { method, scheme, authority, path, status, durationMs, outcome, error, requestBytes, responseBytes } = event;
  return { method, scheme, authority, path, status, durationMs, outcome, error, requestBytes, responseBytes };
}

/** `GET http://host:port/path`, as the dashboard and stderr show a call. */
export function describeCallTarget(call: Pick<OutgoingCall, 'method' | 'scheme' | 'authority' | 'path'>): string {
  return `${call.method} ${call.scheme}://${call.authority}${call.path}`;
}
