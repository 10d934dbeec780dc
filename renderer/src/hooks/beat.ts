/**
 * One timer for every periodic redraw of the page (the 1 s refresh of cards and charts, the
 * timeline's live motion): updates that fall on the same beat are rendered and painted in one
 * frame, where timers of their own would each cost the page a frame (issue 16 §7).
 *
 * The beat follows the pace live data arrives at (`setBeatPace`, from the bridge's pacer): every
 * 250 ms while deliveries come that often, every 500 ms or 1 s when the page backs off under load,
 * since redrawing motion between deliveries shows nothing new and costs a frame each time.
 */
export const BEAT_MS = 250;

/** Beats a tick of the timer counts for, by pace: 1, 2 or 4 (a power of two: see `nextBeat`). */
export function stepFor(paceMs: number): 1 | 2 | 4 {
  return paceMs >= 4 * BEAT_MS ? 4 : paceMs >= 2 * BEAT_MS ? 2 : 1;
}

/**
 * The beat after `beat` at `step` beats a tick: the next multiple of `step`. A listener acting on
 * every `n`th beat (`beatsPer`, `n` a power of two) then acts on every tick when `n` ≤ `step`, and
 * on every `n / step`th tick otherwise: never less often than it asked, rounded up to the beat.
 */
export function nextBeat(beat: number, step: number): number {
  return (Math.floor(beat / step) + 1) * step;
}

const listeners = new Set<(beat: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let beat = 0;
let step: 1 | 2 | 4 = 1;

function start(): void {
  timer = setInterval(() => {
    beat = nextBeat(beat, step);
    for (const l of listeners) l(beat);
  }, BEAT_MS * step);
}

/** Calls `listener` on every beat (with the beat's number) until the returned function is called. */
export function onBeat(listener: (beat: number) => void): () => void {
  listeners.add(listener);
  if (timer === undefined) start();
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  };
}

/** Live data now arrives every `paceMs`: the beat slows to match it (at most to 1 s) or speeds back up. */
export function setBeatPace(paceMs: number): void {
  const next = stepFor(paceMs);
  if (next === step) return;
  step = next;
  if (timer === undefined) return;
  clearInterval(timer);
  start();
}

/** How often the beat comes now (ms). */
export function beatIntervalMs(): number {
  return BEAT_MS * step;
}

/** Beats per `intervalMs` (at least one): a listener that wants that interval acts on every such beat. */
export function beatsPer(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / BEAT_MS));
}
