/**
 * One timer for every periodic redraw of the page (the 1 s refresh of cards and charts, the
 * timeline's live motion): updates that fall on the same beat are rendered and painted in one
 * frame, where timers of their own would each cost the page a frame (issue 16 §7).
 *
 * The beat follows the pace live data arrives at (`setBeatPace`, from the bridge's pacer): every
 * 250 ms while deliveries come that often, every 500 ms or 1 s when the page backs off under load,
 * since redrawing motion between deliveries shows nothing new and costs a frame each time. And it
 * comes with them: each delivery beats at once (`beatNow`, in the delivery's task, so both are
 * painted in one frame) and the timer waits a beat past the next delivery's due time, beating on
 * its own only when deliveries stop. Beating beside the deliveries cost a second frame for each.
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
/** Who shows the pace (the header's live indicator: useLivePace.ts). */
const paceListeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | undefined;
let beat = 0;
let step: 1 | 2 | 4 = 1;
/** Ms between deliveries of live data (the pacer's pace). */
let pace = BEAT_MS;

function fire(): void {
  beat = nextBeat(beat, step);
  for (const l of listeners) l(beat);
}

/** The timer's next beat in `delayMs`, then every beat (`BEAT_MS * step`). */
function schedule(delayMs: number): void {
  clearTimeout(timer);
  timer = setTimeout(() => {
    fire();
    // (The last listener may have left during the beat: then the timer stops with it.)
    if (listeners.size > 0) schedule(BEAT_MS * step);
    else timer = undefined;
  }, delayMs);
}

/** Calls `listener` on every beat (with the beat's number) until the returned function is called. */
export function onBeat(listener: (beat: number) => void): () => void {
  listeners.add(listener);
  if (timer === undefined) schedule(BEAT_MS * step);
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    clearTimeout(timer);
    timer = undefined;
  };
}

/** Live data now arrives every `paceMs`: the beat slows to match it (at most to 1 s) or speeds back up. */
export function setBeatPace(paceMs: number): void {
  if (paceMs !== pace) {
    pace = paceMs;
    for (const l of paceListeners) l();
  }
  const next = stepFor(paceMs);
  if (next === step) return;
  step = next;
  // A new pace comes from measuring a delivery: the next one is due a pace from now.
  if (timer !== undefined) schedule(afterNextDelivery());
}

/** How long the timer waits after a delivery: a beat past when the next one is due. */
function afterNextDelivery(): number {
  return Math.max(pace, BEAT_MS * step) + BEAT_MS;
}

/**
 * Live data was just delivered: beat now, in the same task (one frame paints both), and leave the
 * next beat to the next delivery, the timer waiting a beat past when that is due.
 */
export function beatNow(): void {
  if (timer === undefined) return; // nothing listens
  fire();
  schedule(afterNextDelivery());
}

/** What the bridge's pacer tells the beat (bridge/index.ts). */
export const pageBeat = { pace: setBeatPace, delivered: beatNow };

/** How often the beat comes now (ms). */
export function beatIntervalMs(): number {
  return BEAT_MS * step;
}

/** Beats per `intervalMs` (at least one): a listener that wants that interval acts on every such beat. */
export function beatsPer(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / BEAT_MS));
}

/** Ms between deliveries of live data now (the pacer's pace). */
export function livePaceMs(): number {
  return pace;
}

/** Calls `listener` whenever the pace changes, until the returned function is called. */
export function onPace(listener: () => void): () => void {
  paceListeners.add(listener);
  return () => void paceListeners.delete(listener);
}
