/** Helpers for the tests of every layer that handles protocol values (not used by production code). */
import type { OutgoingCall } from './events.ts';

/** An outgoing call that completed: a GET of `/` over http answered 200, no bytes, no time, but for `fields`. */
export function completedCall(fields: Partial<OutgoingCall> = {}): OutgoingCall {
  return {
    method: 'GET',
    scheme: 'http',
    authority: '127.0.0.1:9',
    path: '/',
    status: 200,
    durationMs: 0,
    outcome: 'complete',
    error: null,
    requestBytes: 0,
    responseBytes: 0,
    ...fields,
  };
}
