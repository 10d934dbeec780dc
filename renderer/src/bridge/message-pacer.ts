/**
 * Paces the engine's pushes into the page (issue 16 §7: the observer must not distort what it
 * observes). The engine sends up to 20 event batches a second (4 under load); applying and
 * rendering each of 20 took a whole core of a 2-core machine away from the server under load.
 * Here event batches and load progress are held and handed on together, consecutive event batches
 * joined into one (`coalesceMessages`), so the reducers copy their state once and React renders
 * once per delivery.
 *
 * How often: at most every 250 ms, and otherwise as the page can afford. After each delivery the
 * pacer measures how long the page took to apply and paint it (`afterPaint`), and waits ten times
 * that before the next (`paceFor`: live updates take at most ~10% of the page's time), at most
 * 2 s. A busy machine makes a delivery take longer, so the dashboard backs off when the server
 * needs the cores.
 *
 * Under load (events arriving at `LOADED_EVENTS_PER_SECOND` or more, the engine's own line) it
 * delivers at most once a second, as tokio-console and Grafana refresh, and waits twenty times a
 * delivery's cost rather than ten (`LOADED_UPDATE_BUDGET`): each delivery redraws the whole page
 * (its style, layout and paint cost the same for 1,000 events as for 10), and at saturation those
 * frames took ~0.1 core from the server being measured (issue 16 §7). Below half that rate, 250 ms
 * again: a teaching demo's trickle of requests stays smooth.
 *
 * Latency stays low when it is quiet: a message arriving after a quiet spell is handed on at once,
 * and after `QUIET_AFTER_MS` with no live data the pace is the quiet one again (the header's live
 * indicator, which shows a slowed pace, then says nothing).
 * Snapshots, scenario progress and replies are never held: they flush what is waiting, in order,
 * and go through at once (a command's effects must show by the time its reply arrives).
 */
import { LOADED_EVENTS_PER_SECOND, type ServerMessage } from '../../../protocol/index.ts';
import { coalesceMessages } from '../model/event-batches.ts';

/** Held messages are delivered at most every this many ms (4 a second) … */
export const MIN_PACE_MS = 250;
/** … and at least every this many: the live view never looks frozen. */
export const MAX_PACE_MS = 2000;
/** The share of the page's time live updates may take: the wait after a delivery is its cost / this. */
export const UPDATE_BUDGET = 0.1;
/**
 * … and while the stream is loaded. The measured cost is the main thread's, from delivery to
 * paint; a delivery's raster, garbage collection and parsing on other threads cost about as much
 * again and go unmeasured, so under load, when the server needs the cores, half the quiet budget.
 * A page that delivers in under 50 ms (a fast or idle machine) keeps the 1 s floor; on 2 busy cores
 * at saturation deliveries take 90–170 ms and come every ~2 s (docs/benchmarks.md, 2026-12-03 (night)).
 */
export const LOADED_UPDATE_BUDGET = 0.05;
/**
 * Held messages at most; one more flushes at once. A bound, not a rate: at the engine's 20 batches
 * a second at most, a 2 s wait holds ~40 event batches and a few load progress reports.
 */
export const MAX_HELD_MESSAGES = 64;

/** … and at most every this many while the stream is loaded. */
export const LOADED_MIN_PACE_MS = 1000;
/**
 * No live data for this long (twice the slowest pace) and the stream counts as quiet again: the
 * pace goes back to the fastest, as a page just opened has it. Without this a page left idle after
 * load would keep (and its live indicator show) the pace of the load until the next event.
 */
export const QUIET_AFTER_MS = 2 * MAX_PACE_MS;
/** Paces are in tenths of a second: a measurement a few ms off the last changes nothing (the beat, the header). */
const PACE_STEP_MS = 100;

/** The wait after a delivery that took `costMs` to apply and paint, the stream loaded or not. */
export function paceFor(costMs: number, loaded = false): number {
  const wait = Math.round(costMs / (loaded ? LOADED_UPDATE_BUDGET : UPDATE_BUDGET) / PACE_STEP_MS) * PACE_STEP_MS;
  return Math.min(MAX_PACE_MS, Math.max(loaded ? LOADED_MIN_PACE_MS : MIN_PACE_MS, wait));
}

/**
 * Whether a stream of `perSecond` events counts as loaded, given whether it did: from
 * `LOADED_EVENTS_PER_SECOND`, until it falls below half of it (so a rate near the line does not
 * flap), as the engine decides its batching.
 */
export function isLoaded(perSecond: number, wasLoaded: boolean): boolean {
  return perSecond >= (wasLoaded ? LOADED_EVENTS_PER_SECOND / 2 : LOADED_EVENTS_PER_SECOND);
}

/** Who hears about the pacer's rhythm besides the store (the page's beat: hooks/beat.ts). */
export interface PaceListener {
  /** Each new pace it settles on (ms between deliveries), and only a change. */
  pace(paceMs: number): void;
  /** After each delivery, in the same task: work done here lands in the frame that paints it. */
  delivered(): void;
}

export interface PacerClock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Calls back once what was just delivered has been rendered and painted (absent: a fixed 250 ms pace). */
  afterPaint?(callback: () => void): void;
}

/** The page's clock. After a frame's rAF callbacks come style, layout and paint, then the task posted here. */
export const pageClock: PacerClock = {
  now: () => performance.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  // The only handles it is given are the ones its setTimer made.
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  afterPaint: (callback) => void requestAnimationFrame(() => setTimeout(callback, 0)),
};

/** Messages that may wait for the next delivery (their effect is a view refresh, nothing waits on them). */
const holdable = (message: ServerMessage): boolean => message.kind === 'events' || message.kind === 'load-progress';

export class MessagePacer {
  readonly #deliver: (message: ServerMessage) => void;
  readonly #clock: PacerClock;
  readonly #listener: PaceListener | undefined;
  #held: ServerMessage[] = [];
  #lastDelivery = Number.NEGATIVE_INFINITY;
  #timer: unknown = null;
  /** Armed after each delivery: fires when no live data came for `QUIET_AFTER_MS`. */
  #quietTimer: unknown = null;
  #interval = MIN_PACE_MS;
  #measuring = false;
  /** Deliveries that were not live updates (a snapshot, a reply) so far: one spoils a measurement under way. */
  #otherDeliveries = 0;
  /** The last delivery's measured cost (ms), and whether the stream is loaded (`isLoaded`). */
  #cost = 0;
  #loaded = false;
  /** Events (kept and dropped by the engine) in the messages held now. */
  #heldEvents = 0;

  /** `listener` hears each new pace and each delivery (the page's beat follows both: hooks/beat.ts). */
  constructor(deliver: (message: ServerMessage) => void, clock: PacerClock = pageClock, listener?: PaceListener) {
    this.#deliver = deliver;
    this.#clock = clock;
    this.#listener = listener;
  }

  /** The current wait between deliveries of held messages (ms). */
  get intervalMs(): number {
    return this.#interval;
  }

  push(message: ServerMessage): void {
    this.#held.push(message);
    if (message.kind === 'events') this.#heldEvents += message.events.length + message.dropped;
    const due = this.#lastDelivery + this.#interval;
    if (!holdable(message) || this.#held.length >= MAX_HELD_MESSAGES || this.#clock.now() >= due) {
      this.flush();
      return;
    }
    this.#timer ??= this.#clock.setTimer(() => {
      this.#timer = null;
      this.flush();
    }, due - this.#clock.now());
  }

  /** Hands on everything held now (coalesced), in order. */
  flush(): void {
    if (this.#timer !== null) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = null;
    }
    if (this.#held.length === 0) return;
    const held = this.#held;
    this.#held = [];
    const start = this.#clock.now();
    this.#judgeLoad(start);
    this.#lastDelivery = start;
    for (const message of coalesceMessages(held)) this.#deliver(message);
    this.#listener?.delivered();
    // A snapshot (a page's first, or a reconnect's) redraws the whole page: it says nothing of
    // what live updates cost, and would leave a page that just opened paced as if under load.
    if (held.every(holdable)) this.#measure(start);
    else this.#otherDeliveries++;
    this.#armQuiet();
  }

  /** Drops what is held and stops the timer (the bridge is closing). */
  stop(): void {
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
    if (this.#quietTimer !== null) this.#clock.clearTimer(this.#quietTimer);
    this.#timer = null;
    this.#quietTimer = null;
    this.#held = [];
    this.#heldEvents = 0;
  }

  /**
   * Times this delivery of live updates until it is painted, and sets the pace from that. One
   * measurement at a time; a hidden page never paints, and keeps the pace it had.
   */
  #measure(start: number): void {
    const afterPaint = this.#clock.afterPaint;
    if (!afterPaint || this.#measuring) return;
    this.#measuring = true;
    const others = this.#otherDeliveries;
    afterPaint(() => {
      this.#measuring = false;
      if (this.#otherDeliveries !== others) return; // the frame painted a snapshot too: not a live update's cost
      this.#cost = this.#clock.now() - start;
      this.#setPace();
    });
  }

  /** (Re)starts the wait for a quiet stream: with nothing delivered meanwhile, back to the quiet pace. */
  #armQuiet(): void {
    if (this.#quietTimer !== null) this.#clock.clearTimer(this.#quietTimer);
    this.#quietTimer = this.#clock.setTimer(() => {
      this.#quietTimer = null;
      if (this.#held.length > 0) return; // a delivery is due, and re-arms this
      this.#loaded = false;
      this.#cost = 0;
      this.#setPace();
    }, QUIET_AFTER_MS);
  }

  /**
   * The event rate since the last delivery (what is being delivered now over the time it took to
   * come) decides whether the stream is loaded; a change of mind changes the pace at once. The
   * first delivery after a quiet spell counts over that whole spell, so it reads as not loaded.
   */
  #judgeLoad(now: number): void {
    const events = this.#heldEvents;
    this.#heldEvents = 0;
    const elapsed = now - this.#lastDelivery;
    if (!(elapsed > 0) || !Number.isFinite(elapsed)) return;
    const loaded = isLoaded((events * 1000) / elapsed, this.#loaded);
    if (loaded === this.#loaded) return;
    this.#loaded = loaded;
    this.#setPace();
  }

  #setPace(): void {
    const interval = paceFor(this.#cost, this.#loaded);
    if (interval === this.#interval) return;
    this.#interval = interval;
    this.#listener?.pace(interval);
  }
}
