/** What is under a point of the timeline: the hit targets the last frame drew. Pure. */
import type { ExitInfo, InstanceRecord, LeakFinding, OutgoingRecord, RequestRecord } from '../model/types.ts';

export type Hit =
  | { kind: 'request'; x: number; y: number; w: number; h: number; request: RequestRecord; finding: LeakFinding | null }
  | { kind: 'exit'; x: number; y: number; w: number; h: number; instance: InstanceRecord; exit: ExitInfo }
  | { kind: 'outgoing'; x: number; y: number; w: number; h: number; call: OutgoingRecord };

const inside = (h: Hit, x: number, y: number): boolean => x >= h.x && x <= h.x + h.w && y >= h.y && y <= h.y + h.h;

/** The topmost thing drawn at a point (the last drawn wins). */
export function hitAt(hits: readonly Hit[], x: number, y: number): Hit | null {
  return hits.findLast((h) => inside(h, x, y)) ?? null;
}

type OutgoingHit = Extract<Hit, { kind: 'outgoing' }>;

/**
 * Every outgoing request whose bar (widened to a hit target) is under the point, nearest centre
 * first. Calls made a few milliseconds apart share pixels in a wide window: the pointer names all
 * of them rather than whichever was drawn last.
 */
export function outgoingAt(hits: readonly Hit[], x: number, y: number): OutgoingHit[] {
  const under = hits.filter((h): h is OutgoingHit => h.kind === 'outgoing' && inside(h, x, y));
  const distance = (h: OutgoingHit): number => Math.abs(h.x + h.w / 2 - x);
  return under.sort((a, b) => distance(a) - distance(b));
}

/** The bar of a request drawn in the last frame (for the keyboard focus's tip), or null. */
export function requestHit(hits: readonly Hit[], requestId: number): Extract<Hit, { kind: 'request' }> | null {
  return (
    hits.find(
      (h): h is Extract<Hit, { kind: 'request' }> => h.kind === 'request' && h.request.requestId === requestId,
    ) ?? null
  );
}
