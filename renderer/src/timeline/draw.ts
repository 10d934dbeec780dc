/**
 * The timeline, drawn on a canvas: one lane per instance (its lifetime as the lane background),
 * requests as bars from accepted to completed/failed, stacked in rows when they overlap,
 * time waiting in the queue as a thin lead-in, timeouts/traps/exits marked; each outgoing HTTP
 * request as a thin bar along the bottom of the request that made it (along the lane's bottom
 * when the engine could not tell which one), coloured by how it ended.
 * Plain function of its input so the frame loop can call it without React.
 */
import type { Palette } from '../hooks/useTheme.ts';
import type { ExitInfo, InstanceRecord, LeakFinding, OutgoingRecord, RequestRecord } from '../model/types.ts';

export interface TimelineInput {
  now: number;
  windowMs: number;
  instances: readonly InstanceRecord[];
  requests: Iterable<RequestRecord>;
  width: number;
  height: number;
  palette: Palette;
  /** Leak findings by request id: their bars get a marker. */
  leakFindings?: ReadonlyMap<number, LeakFinding>;
  /** Outgoing requests by instance, in order of their end (see the outgoing slice). */
  outgoing?: ReadonlyMap<number, readonly OutgoingRecord[]>;
}

export type Hit =
  | { kind: 'request'; x: number; y: number; w: number; h: number; request: RequestRecord; finding: LeakFinding | null }
  | { kind: 'exit'; x: number; y: number; w: number; h: number; instance: InstanceRecord; exit: ExitInfo }
  | { kind: 'outgoing'; x: number; y: number; w: number; h: number; call: OutgoingRecord };

const GUTTER = 58;
const AXIS = 18;
const MIN_LANE = 10;
const MAX_LANE = 24;
/** A lane with overlapping requests grows up to this, one row per concurrent request. */
const MAX_STACKED_LANE = 110;
const MAX_ROWS = 16;

export function drawTimeline(ctx: CanvasRenderingContext2D, input: TimelineInput): Hit[] {
  const { now, windowMs, width, height, palette: p } = input;
  const start = now - windowMs;
  const plotW = Math.max(1, width - GUTTER - 8);
  const xOf = (t: number): number => GUTTER + ((t - start) / windowMs) * plotW;
  const hits: Hit[] = [];

  ctx.clearRect(0, 0, width, height);
  ctx.font = '10px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
  ctx.textBaseline = 'middle';

  // Lanes: instances alive at some point in the window, oldest first; the newest win when crowded.
  const visible = input.instances
    .filter((r) => (r.exit ? r.exit.t >= start : true) && r.createdAt <= now)
    .sort((a, b) => a.instanceId - b.instanceId);
  const avail = height - AXIS;
  const capacity = Math.max(1, Math.floor(avail / MIN_LANE));
  const hidden = Math.max(0, visible.length - capacity);
  const lanes = visible.slice(hidden);
  const laneIds = new Set(lanes.map((r) => r.instanceId));

  // Requests in view, by lane; a lane with overlapping requests gets taller (one row each).
  const byLane = new Map<number, PlacedRequest[]>();
  for (const r of input.requests) {
    if (!isPlaced(r)) continue;
    if ((r.endedAt ?? now) < start || !laneIds.has(r.instanceId)) continue;
    let list = byLane.get(r.instanceId);
    if (!list) byLane.set(r.instanceId, (list = []));
    list.push(r);
  }
  const rowsOf = (id: number): number =>
    Math.min(
      MAX_ROWS,
      (byLane.get(id) ?? []).reduce((m, r) => Math.max(m, r.slot + 1), 1),
    );
  const desired = lanes.map((r) => {
    const rows = rowsOf(r.instanceId);
    return rows === 1 ? MAX_LANE : Math.min(MAX_STACKED_LANE, Math.max(MAX_LANE, rows * 5 + 6));
  });
  const scale = Math.min(
    1,
    avail /
      Math.max(
        1,
        desired.reduce((a, b) => a + b, 0),
      ),
  );
  const heights = desired.map((h) => Math.max(MIN_LANE, h * scale));
  const minH = Math.min(MAX_LANE, ...heights);
  const labelEvery = Math.max(1, Math.ceil(12 / minH));

  drawAxis(ctx, start, windowMs, xOf, height, p);

  let y = 0;
  lanes.forEach((inst, i) => {
    const laneH = heights[i] ?? MIN_LANE; // one height per lane
    const laneTop = y;
    y += laneH;
    if (i % 2 === 1) {
      ctx.fillStyle = p.laneAlt;
      ctx.globalAlpha = 0.35;
      ctx.fillRect(0, laneTop, width, laneH);
      ctx.globalAlpha = 1;
    }
    const end = inst.exit?.t ?? now;
    const x0 = Math.max(GUTTER, xOf(inst.createdAt));
    const x1 = Math.min(width, xOf(end));
    // Lifetime, and the part spent starting.
    ctx.fillStyle = p.lane;
    ctx.fillRect(x0, laneTop + 1, Math.max(1, x1 - x0), laneH - 2);
    const readyAt = inst.instantiatedAt ?? (inst.status === 'Starting' && !inst.exit ? now : inst.createdAt);
    if (readyAt > inst.createdAt) {
      ctx.fillStyle = p.starting;
      ctx.globalAlpha = 0.45;
      ctx.fillRect(x0, laneTop + 1, Math.max(1, Math.min(x1, xOf(readyAt)) - x0), laneH - 2);
      ctx.globalAlpha = 1;
    }
    // Label (every lane when there is room, else every few).
    if (i % labelEvery === 0 && !(hidden > 0 && i === 0)) {
      ctx.fillStyle = inst.exit ? p.dim : p.text;
      ctx.textAlign = 'left';
      ctx.fillText(`#${inst.instanceId}`, 6, laneTop + Math.min(laneH, MAX_LANE) / 2);
    }

    const reqs = byLane.get(inst.instanceId) ?? [];
    const rows = rowsOf(inst.instanceId);
    const rowH = (laneH - 4) / rows;
    /** Where each request's bar is, for its outgoing requests. */
    const bars = new Map<number, { y: number; h: number }>();
    for (const r of reqs) {
      const ry = laneTop + 2 + Math.min(r.slot, rows - 1) * rowH;
      const bh = Math.max(1, rowH - (rows > 1 ? 1 : 0));
      const a = xOf(r.acceptedAt);
      const b = xOf(r.endedAt ?? now);
      // Time spent waiting before an instance took it.
      const w0 = xOf(r.receivedAt);
      if (a - w0 > 2) {
        ctx.fillStyle = p.dim;
        ctx.fillRect(Math.max(GUTTER, w0), ry + bh / 2, a - Math.max(GUTTER, w0), 1);
      }
      const bx = Math.max(GUTTER, a);
      const bw = Math.max(1.5, b - bx);
      bars.set(r.requestId, { y: ry, h: bh });
      ctx.fillStyle = barColor(r, p);
      ctx.globalAlpha = r.outcome === 'running' ? 0.55 : 1;
      ctx.fillRect(bx, ry, bw, bh);
      ctx.globalAlpha = 1;
      if (r.outcome === 'failed') markFailure(ctx, r, b, ry, bh, p);
      const finding = input.leakFindings?.get(r.requestId) ?? null;
      if (finding) markLeak(ctx, bx, bw, ry, bh, p);
      // A marked bar is easier to hit: its marker is wider than a short request's bar.
      const hx = finding ? Math.min(bx, bx + bw / 2 - LEAK_MARK) : bx;
      hits.push({
        kind: 'request',
        x: hx,
        y: ry,
        w: Math.max(bw, finding ? 2 * LEAK_MARK : 4),
        h: bh,
        request: r,
        finding,
      });
    }

    const calls = input.outgoing?.get(inst.instanceId);
    if (calls) drawOutgoing(ctx, calls, { start, now, xOf, laneBottom: laneTop + laneH - 2, bars, hits, p });

    if (inst.exit) {
      const ex = xOf(inst.exit.t);
      ctx.fillStyle = exitColor(inst, p);
      ctx.fillRect(ex - 1, laneTop + 1, 2, laneH - 2);
      hits.push({ kind: 'exit', x: ex - 4, y: laneTop, w: 8, h: laneH, instance: inst, exit: inst.exit });
    }
  });

  if (hidden > 0) {
    // In the top lane's label spot: how many older lanes did not fit.
    ctx.fillStyle = p.dim;
    ctx.textAlign = 'left';
    ctx.fillText(`+${hidden} ↑`, 6, (heights[0] ?? MAX_LANE) / 2);
  }
  if (lanes.length === 0) {
    ctx.fillStyle = p.dim;
    ctx.textAlign = 'center';
    ctx.fillText('No instances in this window', GUTTER + plotW / 2, avail / 2);
  }
  return hits;
}

/**
 * An instance's outgoing requests in view, newest last: a thin bar from its start to its end at
 * the bottom of the request bar that made it, or of the lane. Each is a hit target (made wider
 * than a very short bar), found before the request under it.
 */
function drawOutgoing(
  ctx: CanvasRenderingContext2D,
  calls: readonly OutgoingRecord[],
  at: {
    start: number;
    now: number;
    xOf: (t: number) => number;
    laneBottom: number;
    bars: ReadonlyMap<number, { y: number; h: number }>;
    hits: Hit[];
    p: Palette;
  },
): void {
  const { start, now, xOf, laneBottom, bars, hits, p } = at;
  // Ordered by their end: the ones in view are at the end of the list.
  const first = calls.findLastIndex((c) => c.t < start) + 1;
  for (const c of calls.slice(first)) {
    if (c.t - c.durationMs > now) continue;
    const bar = c.requestId === null ? undefined : bars.get(c.requestId);
    const h = bar ? Math.max(2, Math.min(4, bar.h * 0.3)) : 3;
    const y = bar ? bar.y + bar.h - h : laneBottom - h;
    const x0 = Math.max(GUTTER, xOf(Math.max(start, c.t - c.durationMs)));
    const w = Math.max(2, xOf(Math.min(now, c.t)) - x0);
    // A rim in the lane's colour keeps the bar apart from the request bar it sits on.
    ctx.fillStyle = p.lane;
    ctx.fillRect(x0 - 0.5, y - 1, w + 1, h + 1);
    ctx.fillStyle = outgoingColor(c, p);
    ctx.fillRect(x0, y, w, h);
    hits.push({ kind: 'outgoing', x: x0 - Math.max(0, (4 - w) / 2), y: y - 2, w: Math.max(w, 4), h: h + 3, call: c });
  }
}

export function outgoingColor(c: OutgoingRecord, p: Palette): string {
  if (c.outcome === 'failed') return p.err;
  if (c.outcome === 'dropped') return p.purple;
  return c.status !== null && c.status >= 500 ? p.warn : p.teal;
}

function barColor(r: RequestRecord, p: Palette): string {
  if (r.outcome === 'failed') return r.failure?.kind === 'trap' ? p.warn : p.err;
  if (r.status !== null && r.status >= 500) return p.warn;
  return p.accent;
}

function exitColor(inst: InstanceRecord, p: Palette): string {
  switch (inst.exit?.cause) {
    case 'watchdog':
    case 'worker-crashed':
    case 'executor-lost':
    case 'instantiation-failed':
      return p.err;
    case 'trap':
      return p.warn;
    default:
      return p.dim;
  }
}

const LEAK_MARK = 5;

/** A request whose answer differed on a fresh instance: a warning triangle over the bar's start and an outline. */
function markLeak(ctx: CanvasRenderingContext2D, x: number, w: number, y: number, h: number, p: Palette): void {
  const cx = x + Math.min(w, 2 * LEAK_MARK) / 2;
  const s = Math.min(LEAK_MARK, Math.max(3, h / 2));
  ctx.strokeStyle = p.warn;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x - 0.75, y + 0.75, Math.max(1.5, w) + 1.5, h - 1.5);
  ctx.fillStyle = p.warn;
  ctx.beginPath();
  ctx.moveTo(cx - s, y);
  ctx.lineTo(cx + s, y);
  ctx.lineTo(cx, y + s * 1.4);
  ctx.closePath();
  ctx.fill();
}

/** A cross at the end of a failed bar (timeout, trap…). */
function markFailure(
  ctx: CanvasRenderingContext2D,
  r: RequestRecord,
  x: number,
  y: number,
  h: number,
  p: Palette,
): void {
  const s = Math.min(5, Math.max(3, h / 2 - 1));
  const cy = y + h / 2;
  ctx.strokeStyle = r.failure?.kind === 'trap' ? p.warn : p.err;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(x + 2, cy - s);
  ctx.lineTo(x + 2 + 2 * s, cy + s);
  ctx.moveTo(x + 2 + 2 * s, cy - s);
  ctx.lineTo(x + 2, cy + s);
  ctx.stroke();
}

function drawAxis(
  ctx: CanvasRenderingContext2D,
  start: number,
  windowMs: number,
  xOf: (t: number) => number,
  height: number,
  p: Palette,
): void {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000];
  const step = steps.find((s) => windowMs / s <= 8) ?? 60_000;
  const end = start + windowMs;
  ctx.textAlign = 'center';
  ctx.lineWidth = 1;
  for (let t = Math.max(0, Math.ceil(start / step) * step); t <= end; t += step) {
    const x = Math.round(xOf(t)) + 0.5;
    ctx.strokeStyle = p.grid;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, height - AXIS);
    ctx.stroke();
    // Engine time, as in the event log: the grid moves with the requests.
    ctx.fillStyle = p.dim;
    ctx.fillText(`${(t / 1000).toFixed(step >= 1000 ? 0 : 1)}s`, x, height - AXIS / 2);
  }
}

/** A request an instance took: only those have a bar. */
type PlacedRequest = RequestRecord & { instanceId: number; acceptedAt: number };

function isPlaced(r: RequestRecord): r is PlacedRequest {
  return r.instanceId !== null && r.acceptedAt !== null;
}

/** The topmost thing drawn at a point (the last drawn wins). */
export function hitAt(hits: readonly Hit[], x: number, y: number): Hit | null {
  return hits.findLast((h) => x >= h.x && x <= h.x + h.w && y >= h.y && y <= h.y + h.h) ?? null;
}

type OutgoingHit = Extract<Hit, { kind: 'outgoing' }>;

/**
 * Every outgoing request whose bar (widened to a hit target) is under the point, nearest centre
 * first. Calls made a few milliseconds apart share pixels in a wide window: the pointer names all
 * of them rather than whichever was drawn last.
 */
export function outgoingAt(hits: readonly Hit[], x: number, y: number): OutgoingHit[] {
  const under = hits.filter(
    (h): h is OutgoingHit => h.kind === 'outgoing' && x >= h.x && x <= h.x + h.w && y >= h.y && y <= h.y + h.h,
  );
  const distance = (h: OutgoingHit): number => Math.abs(h.x + h.w / 2 - x);
  return under.sort((a, b) => distance(a) - distance(b));
}
