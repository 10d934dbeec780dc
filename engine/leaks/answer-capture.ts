import type { FailureKind } from '../../protocol/index.ts';
import type { Responder } from '../pool/request.ts';
import { headerRecord, type Answer } from './compare.ts';

/** How one request ended, as a tee saw it. */
export type CapturedOutcome =
  | { kind: 'answered'; answer: Answer }
  | { kind: 'failed'; failure: FailureKind; message: string }
  | { kind: 'too-large' }
  | { kind: 'aborted'; message: string };

/**
 * A responder that passes everything through to `inner` and keeps a copy of the answer (up to
 * `maxBodyBytes`), calling `settled` once the response is over. With no `inner` it only collects
 * (the replay side). The copy never delays the real response.
 */
export function captureResponder(
  inner: Responder | null,
  maxBodyBytes: number,
  settled: (outcome: CapturedOutcome) => void,
): Responder {
  let status = 0;
  let headers: Record<string, string> = {};
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = false;
  let done = false;
  const finish = (outcome: CapturedOutcome): void => {
    if (done) return;
    done = true;
    chunks.length = 0;
    settled(outcome);
  };
  return {
    respond(code, pairs) {
      status = code;
      headers = headerRecord(pairs);
      inner?.respond(code, pairs);
    },
    fail(kind, message) {
      inner?.fail(kind, message);
      finish({ kind: 'failed', failure: kind, message });
    },
    chunk(bytes) {
      inner?.chunk(bytes);
      if (tooLarge) return;
      size += bytes.byteLength;
      if (size > maxBodyBytes) tooLarge = true;
      // The front door may reuse the buffer once written: keep our own copy.
      else chunks.push(bytes.slice());
    },
    end(trailers) {
      if (trailers === undefined) inner?.end();
      else inner?.end(trailers);
      finish(
        tooLarge
          ? { kind: 'too-large' }
          : { kind: 'answered', answer: { status, headers, body: Buffer.concat(chunks) } },
      );
    },
    abort(message) {
      inner?.abort(message);
      finish({ kind: 'aborted', message });
    },
    // Backpressure and client departure belong to the real client: pass them through.
    onGone(listener) {
      inner?.onGone?.(listener);
    },
    whenWritten(listener) {
      if (inner?.whenWritten) inner.whenWritten(listener);
      else listener();
    },
  };
}
