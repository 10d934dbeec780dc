/**
 * Live instances over a measured window, from Poolscope's `--events FILE` (JSON lines; the
 * `pool.gauges` events carry `liveInstances`, stamped with the engine's clock `t` in ms).
 *
 * The window is given as byte offsets of the file, taken when the load started and ended: the
 * events completely written in between are the window's, and its span in engine time runs from
 * the first to the last of them. The value at the start is the last gauge before the window.
 */
export interface LiveInstances {
  peak: number;
  /** Time-weighted over the window. */
  average: number;
  /** Events in the window (a sanity figure: zero means the window saw nothing). */
  events: number;
}

interface Line {
  start: number;
  end: number;
  event: { type?: string; t?: number; liveInstances?: number };
}

function* lines(data: Buffer, limit: number): Generator<Line> {
  let start = 0;
  while (start < limit) {
    const newline = data.indexOf(0x0a, start);
    if (newline < 0 || newline >= limit) return; // an incomplete last line
    const text = data.subarray(start, newline).toString('utf8');
    let event: Line['event'] = {};
    try {
      // A line of our own `--events` output (PoolEvent JSON); the fields read are all optional.
      event = JSON.parse(text) as Line['event'];
    } catch {
      // not an event line
    }
    yield { start, end: newline + 1, event };
    start = newline + 1;
  }
}

export function liveInstancesInWindow(data: Buffer, startOffset: number, endOffset: number): LiveInstances | null {
  let value = 0;
  // Engine times: the window's first and last events, and the last change of `value` in it.
  let seen: { start: number; end: number; lastT: number } | null = null;
  let area = 0;
  let peak = 0;
  let events = 0;
  for (const line of lines(data, Math.min(endOffset, data.length))) {
    const { event } = line;
    if (typeof event.t !== 'number') continue;
    const gauge = event.type === 'pool.gauges' && typeof event.liveInstances === 'number' ? event.liveInstances : null;
    if (line.start < startOffset) {
      if (gauge !== null) value = gauge;
      continue;
    }
    events += 1;
    if (seen === null) {
      seen = { start: event.t, end: event.t, lastT: event.t };
      peak = value;
    }
    seen.end = event.t;
    if (gauge !== null) {
      area += value * (event.t - seen.lastT);
      seen.lastT = event.t;
      value = gauge;
      peak = Math.max(peak, value);
    }
  }
  if (seen === null) return null;
  area += value * (seen.end - seen.lastT);
  const span = seen.end - seen.start;
  return { peak, average: span > 0 ? Math.round((area / span) * 100) / 100 : value, events };
}
