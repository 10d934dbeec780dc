/** Helpers shared by this directory's tests (not used by the host itself). */

import assert from 'node:assert/strict';
import type { ResponseSink } from './api.ts';

const text = new TextDecoder();
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => text.decode(b);

/** Runs a result-returning host call that must fail, and returns its `err` payload. */
export function errOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (e !== null && typeof e === 'object' && Object.hasOwn(e, 'payload')) {
      return (e as { payload: unknown }).payload;
    }
    throw e;
  }
  assert.fail('expected an err result');
}

export interface Recorded {
  sink: ResponseSink;
  /** Every sink call, in order, e.g. `head 200`, `chunk hi`, `end`. */
  calls: string[];
  headers: Array<[string, string]>;
  body(): string;
}

export function recordingSink(): Recorded {
  const calls: string[] = [];
  const headers: Array<[string, string]> = [];
  const chunks: Uint8Array[] = [];
  const sink: ResponseSink = {
    head(status, hs) {
      calls.push(`head ${status}`);
      for (const [n, v] of hs) headers.push([n, str(v)]);
    },
    chunk(b) {
      calls.push(`chunk ${str(b)}`);
      chunks.push(b);
    },
    end() {
      calls.push('end');
    },
    error(message) {
      calls.push(`error ${message}`);
    },
    abort(message) {
      calls.push(`abort ${message}`);
    },
  };
  return { sink, calls, headers, body: () => str(Buffer.concat(chunks)) };
}
