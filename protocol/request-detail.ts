/**
 * The `requestDetail` command's reply: what the engine keeps of a recent request beyond what the
 * event stream carries (headers, sizes, the guest output written during it, phase times). Kept in
 * the engine, not sent with the events, so the stream stays cheap; a dashboard asks for one request
 * when its panel opens. Every part is bounded: see `REQUEST_DETAIL_LIMITS`.
 */
import { z } from 'zod';
import { dispatchModeSchema, exitCauseSchema, failureKindSchema } from './events.ts';

/** What the engine keeps, at most (the oldest requests go first past either bound). */
export const REQUEST_DETAIL_LIMITS = {
  /** Requests whose detail is kept: the most recent ones. */
  requests: 2000,
  /** All kept detail together, in UTF-16 code units of its texts (about bytes for ASCII), 16 Mi. */
  totalChars: 16 * 1024 * 1024,
  /** Fields kept of one request's or one response's headers. */
  headerFields: 100,
  /** Characters kept of one header section (names and values together); the fields past it are counted, not kept. */
  headerChars: 8 * 1024,
  /** Characters kept of one header name / value (longer ones end in `…`). */
  headerNameChars: 256,
  headerValueChars: 2048,
  /** Guest output lines kept per request, the first ones written during it. */
  outputLines: 50,
  /** Characters kept of one output line. */
  outputLineChars: 500,
  /** Characters kept of the request's method and target. */
  methodChars: 64,
  failureChars: 1000,
  uriChars: 2048,
} as const;

const L = REQUEST_DETAIL_LIMITS;
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

/** One header section as kept: the first fields within the bounds, and how many were left out. */
export const keptHeadersSchema = z.strictObject({
  /** Names lowercased, values as latin1 text (what the bytes were, one character each). */
  fields: z.array(z.tuple([z.string().max(L.headerNameChars), z.string().max(L.headerValueChars)])).max(L.headerFields),
  /** Fields past `headerFields` or `headerChars`, not kept. */
  omitted: count,
});
export type KeptHeaders = z.infer<typeof keptHeadersSchema>;

export const keptOutputLineSchema = z.strictObject({
  t: ms,
  stream: z.enum(['stdout', 'stderr']),
  line: z.string().max(L.outputLineChars),
});

/**
 * A request's phases on the engine's clock, as the engine saw them (null: did not happen, or not
 * seen). The instance times are set only when the instance was started while the request waited
 * (for it or for the queue it sat in).
 */
export const requestPhasesSchema = z.strictObject({
  receivedAt: ms,
  dispatchedAt: ms.nullable(),
  dispatchMode: dispatchModeSchema.nullable(),
  instanceId: count.nullable(),
  /** The instance's reuse count when it accepted the request (1: the first request it served). */
  reuseIndex: count.nullable(),
  spawnedAt: ms.nullable(),
  instantiatedAt: ms.nullable(),
  acceptedAt: ms.nullable(),
  respondedAt: ms.nullable(),
  expiredAt: ms.nullable(),
  /** The response body's end (completed), or when the request failed. */
  endedAt: ms.nullable(),
  /** When its instance could take work again after it (`worker.available`). */
  availableAt: ms.nullable(),
  /** When its instance exited instead, and why (the request was its last, or killed it). */
  instanceExit: z.strictObject({ t: ms, cause: exitCauseSchema }).nullable(),
});
export type RequestPhases = z.infer<typeof requestPhasesSchema>;

export const requestDetailSchema = z.strictObject({
  requestId: count,
  method: z.string().max(L.methodChars),
  uri: z.string().max(L.uriChars),
  phases: requestPhasesSchema,
  /** Null when the request never reached the pool (the front door refused it, or its client left first). */
  requestHeaders: keptHeadersSchema.nullable(),
  requestBodyBytes: count.nullable(),
  /** The guest's response head; null when none was sent. */
  response: z.strictObject({ status: z.number().int().min(0).max(999), headers: keptHeadersSchema }).nullable(),
  /** How it failed (`request.failed`), the message cut to `failureChars`; null unless it failed. */
  failure: z.strictObject({ kind: failureKindSchema, message: z.string().max(L.failureChars) }).nullable(),
  /** Response body bytes the guest wrote (trailers aside). */
  responseBodyBytes: count,
  /** Lines the guest wrote on its instance while the request was in flight there (with WASIp3
   * concurrency, also those of requests running beside it). */
  output: z.array(keptOutputLineSchema).max(L.outputLines),
  outputOmitted: count,
});
export type RequestDetail = z.infer<typeof requestDetailSchema>;

/** The reply: the detail, or why there is none (a sentence for the user). */
export const requestDetailReplySchema = z.discriminatedUnion('kept', [
  z.strictObject({ kept: z.literal(true), detail: requestDetailSchema }),
  z.strictObject({ kept: z.literal(false), reason: z.string().max(500) }),
]);
export type RequestDetailReply = z.infer<typeof requestDetailReplySchema>;

/** Why a request's detail is missing once the store let it go (`requests`: the store's bound). */
export function detailNotKept(requests: number = L.requests): string {
  return `detail no longer kept (the engine keeps the last ${requests} requests)`;
}
