import type { IncomingMessage } from 'node:http';

/**
 * Request bodies held in memory at once, across all requests. Each body is capped by the
 * `maxRequestBodyBytes` knob, but a thousand slots times 64 MiB would still be 64 GiB: past this
 * total, a request gets 503 (retry later) instead of more memory.
 */
export const DEFAULT_BODY_BUDGET_BYTES = 512 * 1024 * 1024;

/** Bytes of request bodies in memory: reserved as they arrive, returned when the request ends. */
export class BodyBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit = DEFAULT_BODY_BUDGET_BYTES) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}

export type BodyResult =
  | { ok: true; body: Uint8Array; reserved: number }
  | { ok: false; why: 'too-large' | 'over-budget' | 'client-gone'; message: string };

/**
 * Reads a whole request body, never more than `maxBytes` and never past the shared budget. A
 * client that hangs up mid-body (an aborted upload, a short Content-Length) is a result, not an
 * exception: it fails this request only.
 */
export async function readRequestBody(req: IncomingMessage, maxBytes: number, budget: BodyBudget): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  const refuse = (why: 'too-large' | 'over-budget', message: string): BodyResult => {
    budget.give(size);
    // Drop the rest of the body instead of destroying the request: destroying it resets the
    // connection, and the client would never read its 413/503.
    req.resume();
    return { ok: false, why, message };
  };
  try {
    // Typed `any` by Node; a request stream without an encoding set yields Buffers.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      if (size + chunk.length > maxBytes)
        return refuse('too-large', `request body larger than ${maxBytes} bytes (max-request-body-size)`);
      if (!budget.tryReserve(chunk.length)) {
        return refuse('over-budget', `request bodies in memory would exceed ${budget.limit} bytes; retry later`);
      }
      size += chunk.length;
      chunks.push(chunk);
    }
  } catch (error) {
    budget.give(size);
    return {
      ok: false,
      why: 'client-gone',
      message: `the client went away while sending its body (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (!req.complete) {
    budget.give(size);
    return { ok: false, why: 'client-gone', message: 'the client went away while sending its body' };
  }
  // biome-ignore lint/style/noNonNullAssertion: length === 1
  return { ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), reserved: size };
}
