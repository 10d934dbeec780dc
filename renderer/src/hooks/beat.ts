/**
 * One timer for every periodic redraw of the page (the 1 s refresh of cards and charts, the
 * timeline's live motion): updates that fall on the same beat are rendered and painted in one
 * frame, where timers of their own would each cost the page a frame (issue 16 §7).
 */
export const BEAT_MS = 250;

const listeners = new Set<(beat: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let beat = 0;

/** Calls `listener` on every beat (with the beat's number) until the returned function is called. */
export function onBeat(listener: (beat: number) => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => {
    beat++;
    for (const l of listeners) l(beat);
  }, BEAT_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  };
}

/** Beats per `intervalMs` (at least one): a listener that wants that interval acts on every such beat. */
export function beatsPer(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / BEAT_MS));
}
