/** Helpers shared by this directory's tests (not used by the host itself). */

import assert from 'node:assert/strict';
import type { IncomingRequestInit, ResponseSink, WriteWindow } from '../../../base/http-exchange.ts';

const text = new TextDecoder();
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => text.decode(b);

/** A GET of `/` from localhost:8080 with no headers and no body, but for the fields `init` gives. */
export function getRequest(init: Partial<IncomingRequestInit> = {}): IncomingRequestInit {
  return {
    method: 'GET',
    scheme: 'http',
    authority: 'localhost:8080',
    pathWithQuery: '/',
    headers: [],
    body: new Uint8Array(0),
    ...init,
  };
}

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

/** Like `errOf`, for a blocking call (a Promise that must reject with an `err` result). */
export async function errOfAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    if (e !== null && typeof e === 'object' && Object.hasOwn(e, 'payload')) {
      return (e as { payload: unknown }).payload;
    }
    throw e;
  }
  assert.fail('expected an err result');
}

/** A response window the test drives, like the main thread's `FlowControl` does. */
export function testWindow(initial: number): WriteWindow & { set(available: number): void } {
  let available = initial;
  const signal = new Int32Array(new SharedArrayBuffer(4));
  return {
    signal,
    available: () => available,
    set(next) {
      available = next;
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
    },
  };
}

export interface Recorded {
  sink: ResponseSink;
  /** Every sink call, in order, e.g. `head 200`, `chunk hi`, `end` (`end x-t=1` with trailers). */
  calls: string[];
  headers: Array<[string, string]>;
  body(): string;
}

export function recordingSink(window?: WriteWindow): Recorded {
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
    end(trailers) {
      calls.push(trailers === undefined ? 'end' : `end ${trailers.map(([n, v]) => `${n}=${str(v)}`).join(',')}`);
    },
    error(message) {
      calls.push(`error ${message}`);
    },
    abort(message) {
      calls.push(`abort ${message}`);
    },
    ...(window ? { window } : {}),
  };
  return { sink, calls, headers, body: () => str(Buffer.concat(chunks)) };
}
