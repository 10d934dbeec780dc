/**
 * Outgoing HTTP (a guest's requests to the outside, `wasi:http/outgoing-handler` in WASIp2 and
 * `wasi:http/client.send` in WASIp3): the shapes shared by the client (exchange.ts, client.ts) and
 * the two hosts that put it in front of their guests (host/p2/outgoing-handler.ts,
 * host/p3/imports.ts), and the bounds it keeps.
 */
import type { OutgoingCall } from '../../../protocol/events.ts';

/** A `wasi:http/types.error-code` as jco represents it in both worlds: `{ tag }`, or `{ tag, val }`
 * for cases with a payload (DNS-error: `{ rcode, infoCode }`). */
export interface ErrorCode {
  tag: string;
  val?: unknown;
}

/** A header or trailer list: lowercased names, raw value bytes, in order. */
export type FieldList = Array<[name: string, value: Uint8Array]>;

/**
 * One outgoing request, reported once it is over: the protocol's `OutgoingCall`, which the pool
 * turns into a `request.outgoing` event. Every text of a record is at most `RECORD_TEXT_MAX`
 * characters (longer ones are cut, with a marker).
 */
export type OutgoingRecord = OutgoingCall;

/**
 * Characters kept of each text of a record (`method`, `scheme`, `authority`, `path`, the error's
 * `tag` and `detail`): they come from the guest (a path may be megabytes long) or echo it (a
 * name-lookup error names the host). A longer one keeps its start and ends with
 * `…[N more characters]`, the whole within this bound. See `boundRecordText`.
 */
export const RECORD_TEXT_MAX = 2048;

/** `text` within `RECORD_TEXT_MAX` characters (or `max`): as is, or its start and a marker saying
 * how much was cut. */
export function boundRecordText(text: string, max = RECORD_TEXT_MAX): string {
  if (text.length <= max) return text;
  // The count the marker shows is at most the text's length: room for its longest form.
  let keep = Math.max(0, max - markerFor(text.length).length);
  // Not half a surrogate pair.
  const code = text.charCodeAt(keep - 1);
  if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return text.slice(0, keep) + markerFor(text.length - keep);
}

function markerFor(cut: number): string {
  return `…[${cut} more characters]`;
}

/** The record with every text within `RECORD_TEXT_MAX` (see there). */
export function boundRecord(record: OutgoingRecord): OutgoingRecord {
  return {
    ...record,
    method: boundRecordText(record.method),
    scheme: boundRecordText(record.scheme),
    authority: boundRecordText(record.authority),
    path: boundRecordText(record.path),
    error:
      record.error === null
        ? null
        : {
            tag: boundRecordText(record.error.tag),
            detail: record.error.detail === null ? null : boundRecordText(record.error.detail),
          },
  };
}

/** What a host does with the records of its instance's outgoing requests. */
export type OutgoingRecordListener = (record: OutgoingRecord) => void;

/** `request-options` timeouts in milliseconds (wasmtime's defaults when the guest sets none). */
export interface OutgoingTimeouts {
  /** DNS lookup, TCP connect and (for https) the TLS handshake: `connection-timeout`. */
  connectMs: number;
  /** From the connection being ready to the response head: `connection-read-timeout`. */
  firstByteMs: number;
  /** Between two pieces of the response body while the guest is waiting for more:
   * `connection-read-timeout`. */
  betweenBytesMs: number;
}

/** wasmtime's default for each of the three timeouts (`default_send_request`: 600 s). */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** What one instance's outgoing HTTP may hold at once (see `OUTGOING_LIMITS`). */
export interface OutgoingLimits {
  maxConcurrentRequests: number;
  maxResponseHeaderBytes: number;
  requestBodyWindowBytes: number;
  responseBodyBufferBytes: number;
}

/**
 * What one instance's outgoing HTTP may hold at once. Documented in README.md ("Resource bounds").
 */
export const OUTGOING_LIMITS: Readonly<OutgoingLimits> = {
  /** Requests open per instance, from the call until the guest has let go of the body the
   * exchange holds for it: it dropped the future, the response, its body or its trailers, or took
   * the response and read its body to the end (see exchange.ts). One more fails with
   * `connection-limit-reached`. So an instance holds at most this many unread bodies
   * (`responseBodyBufferBytes` each), however many responses its guest keeps; heads and trailers
   * (`maxResponseHeaderBytes` each as sent) stay with the responses the guest holds, like fields
   * it makes itself. wasmtime sets no limit. */
  maxConcurrentRequests: 32,
  /** The upstream's response head (status line and headers), and its trailers, at most, in bytes
   * as sent (any number of fields): more is `HTTP-protocol-error`, as hyper's limit is in wasmtime
   * (its own is about 400 KiB and 100 fields). Never cut short. */
  maxResponseHeaderBytes: 64 * 1024,
  /** Request body bytes accepted from the guest ahead of what the connection took (`check-write`
   * reports what is left; the guest waits when nothing is). wasmtime: one 1 MiB chunk. */
  requestBodyWindowBytes: 1024 * 1024,
  /** Response body bytes read from the upstream ahead of the guest; past this the connection is
   * paused until the guest reads (TCP backpressure reaches the upstream). */
  responseBodyBufferBytes: 256 * 1024,
};
