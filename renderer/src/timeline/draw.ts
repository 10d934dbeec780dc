/**
 * The timeline, drawn on a canvas the size of its scrolled view: the lanes of `layout` that show
 * (one per instance, its lifetime as the lane background, its label in the gutter), requests as
 * bars from accepted to completed/failed in their sub-rows, time waiting in the queue as a thin
 * lead-in from received to accepted, timeouts/traps/exits marked, each outgoing HTTP request as a
 * thin bar along the bottom of the request that made it (along the lane's bottom when the engine
 * could not tell which one), the selected and the focused request outlined, a brushed range
 * shaded, and the time axis at the bottom. Plain function of its input so the frame loop can call
 * it without React.
 */
import type { Palette } from '../hooks/useTheme.ts';
import type { InstanceRecord, LeakFinding, OutgoingRecord, RequestRecord } from '../model/types.ts';
import { fmtTick, TIME_AXIS_UNIT, tickStep, ticks } from '../time/time-base.ts';
import type { Hit } from './hits.ts';
import { type Lane, LANE_MIN, LANE_PAD, lanesBetween, laneState, rowHeight, type TimelineLayout } from './layout.ts';
import { AXIS, GUTTER, type Scale } from './scale.ts';

export type { Hit } from './hits.ts';
export { hitAt, outgoingAt } from './hits.ts';

export interface TimelineInput {
  layout: TimelineLayout;
  scale: Scale;
  now: number;
  /** How far the lanes are scrolled (CSS px); the canvas shows the lanes from there down. */
  scrollTop: number;
  /** The canvas size in CSS px; the bottom `AXIS` px are the time axis. */
  width: number;
  height: number;
  palette: Palette;
  /** Leak findings by request id: their bars get a marker. */
  leakFindings?: ReadonlyMap<number, LeakFinding>;
  /** Outgoing requests by instance, in order of their end (see the outgoing slice). */
  outgoing?: ReadonlyMap<number, readonly OutgoingRecord[]>;
  selected: number | null;
  focused: number | null;
  /** A range being brushed (engine ms), shaded. */
  brush: { from: number; to: number } | null;
}

/** Draws a frame; returns what was drawn where, in canvas coordinates, for hit testing. */
export function drawTimeline(ctx: CanvasRenderingContext2D, input: TimelineInput): Hit[] {
  const { layout, scale, width, height, palette: p, scrollTop } = input;
  const lanesH = Math.max(0, height - AXIS);
  const hits: Hit[] = [];

  ctx.clearRect(0, 0, width, height);
  ctx.font = '10px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
  ctx.textBaseline = 'middle';

  drawGrid(ctx, scale, lanesH, p);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, width, lanesH);
  ctx.clip();
  const { first, end } = lanesBetween(layout, scrollTop, scrollTop + lanesH);
  for (let i = first; i < end; i++) {
    const lane = layout.lanes[i];
    if (lane) drawLane(ctx, lane, i, { ...input, y: lane.top - scrollTop, hits });
  }
  if (input.brush) {
    const a = scale.xOf(Math.min(input.brush.from, input.brush.to));
    const b = scale.xOf(Math.max(input.brush.from, input.brush.to));
    ctx.fillStyle = p.accent;
    ctx.globalAlpha = 0.15;
    ctx.fillRect(Math.max(GUTTER, a), 0, Math.max(1, b - Math.max(GUTTER, a)), lanesH);
    ctx.globalAlpha = 1;
  }
  ctx.restore();
  if (layout.lanes.length === 0) {
    ctx.fillStyle = p.dim;
    ctx.textAlign = 'center';
    ctx.fillText('No instances in this window', GUTTER + scale.plotW / 2, lanesH / 2);
  }
  drawAxis(ctx, scale, lanesH, p);
  return hits;
}

type LaneInput = TimelineInput & { y: number; hits: Hit[] };

function drawLane(ctx: CanvasRenderingContext2D, lane: Lane, index: number, at: LaneInput): void {
  const { scale, now, width, palette: p, y, hits } = at;
  const { instance: inst, height: laneH } = lane;
  const { xOf } = scale;
  if (index % 2 === 1) {
    ctx.fillStyle = p.laneAlt;
    ctx.globalAlpha = 0.35;
    ctx.fillRect(0, y, width, laneH);
    ctx.globalAlpha = 1;
  }
  const end = inst.exit?.t ?? now;
  const x0 = Math.max(GUTTER, xOf(inst.createdAt));
  const x1 = Math.min(width, xOf(end));
  // Lifetime, and the part spent starting.
  ctx.fillStyle = p.lane;
  ctx.fillRect(x0, y + 1, Math.max(1, x1 - x0), laneH - 2);
  const readyAt = inst.instantiatedAt ?? (inst.status === 'Starting' && !inst.exit ? now : inst.createdAt);
  if (readyAt > inst.createdAt) {
    ctx.fillStyle = p.starting;
    ctx.globalAlpha = 0.45;
    ctx.fillRect(x0, y + 1, Math.max(1, Math.min(x1, xOf(readyAt)) - x0), laneH - 2);
    ctx.globalAlpha = 1;
  }
  drawLabel(ctx, inst, y, p);

  const rowH = rowHeight(lane);
  /** Where each request's bar is, for its outgoing requests. */
  const bars = new Map<number, { y: number; h: number }>();
  let selectedBox: Box | null = null;
  let focusedBox: Box | null = null;
  for (const { request: r, row } of lane.bars) {
    const ry = y + LANE_PAD + row * rowH;
    const bh = Math.max(1, rowH - (lane.rows > 1 ? 1 : 0));
    const a = xOf(r.acceptedAt);
    const b = xOf(r.endedAt ?? now);
    // Time spent waiting in the queue, received → accepted.
    const w0 = xOf(r.receivedAt);
    if (a - w0 > 2) {
      ctx.fillStyle = p.dim;
      ctx.fillRect(Math.max(GUTTER, w0), ry + bh / 2 - 0.5, a - Math.max(GUTTER, w0), 1);
    }
    const bx = Math.max(GUTTER, a);
    const bw = Math.max(1.5, b - bx);
    bars.set(r.requestId, { y: ry, h: bh });
    ctx.fillStyle = barColor(r, p);
    ctx.globalAlpha = r.outcome === 'running' ? 0.55 : 1;
    ctx.fillRect(bx, ry, bw, bh);
    ctx.globalAlpha = 1;
    if (r.outcome === 'failed') markFailure(ctx, r, b, ry, bh, p);
    const finding = at.leakFindings?.get(r.requestId) ?? null;
    if (finding) markLeak(ctx, bx, bw, ry, bh, p);
    // A short bar is still a target: at least 4 px wide, and a marked bar as wide as its marker.
    const hx = finding ? Math.min(bx, bx + bw / 2 - LEAK_MARK) : bw < 4 ? bx + bw / 2 - 2 : bx;
    const box = { x: hx, y: ry, w: Math.max(bw, finding ? 2 * LEAK_MARK : 4), h: bh };
    hits.push({ kind: 'request', ...box, request: r, finding });
    if (r.requestId === at.selected) selectedBox = box;
    if (r.requestId === at.focused) focusedBox = box;
  }

  const calls = at.outgoing?.get(inst.instanceId);
  if (calls) drawOutgoing(ctx, calls, { scale, now, laneBottom: y + laneH - 2, bars, hits, p });

  if (inst.exit) {
    const ex = xOf(inst.exit.t);
    ctx.fillStyle = exitColor(inst, p);
    ctx.fillRect(ex - 1, y + 1, 2, laneH - 2);
    hits.push({ kind: 'exit', x: ex - 4, y, w: 8, h: laneH, instance: inst, exit: inst.exit });
  }
  if (selectedBox) outline(ctx, selectedBox, p.text, 2, []);
  if (focusedBox) outline(ctx, focusedBox, p.accent, 1.5, [3, 2]);
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function outline(ctx: CanvasRenderingContext2D, b: Box, color: string, width: number, dash: number[]): void {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.strokeRect(b.x - 1.5, b.y - 1, b.w + 3, b.h + 2);
  ctx.restore();
}

/** `#12` and the instance's state, in the gutter, dimmed once it exited. */
function drawLabel(ctx: CanvasRenderingContext2D, inst: InstanceRecord, y: number, p: Palette): void {
  // In the first row's height however tall the lane grew.
  const mid = y + LANE_MIN / 2;
  ctx.textAlign = 'left';
  ctx.fillStyle = inst.exit ? p.dim : p.text;
  const id = `#${inst.instanceId}`;
  ctx.fillText(id, 6, mid);
  ctx.fillStyle = p.dim;
  ctx.fillText(laneState(inst), 6 + ctx.measureText(id).width + 5, mid, GUTTER - 16 - ctx.measureText(id).width);
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
    scale: Scale;
    now: number;
    laneBottom: number;
    bars: ReadonlyMap<number, { y: number; h: number }>;
    hits: Hit[];
    p: Palette;
  },
): void {
  const { scale, now, laneBottom, bars, hits, p } = at;
  const { start, end } = scale.window;
  const { xOf } = scale;
  // Ordered by their end: the ones in view are at the end of the list.
  const first = calls.findLastIndex((c) => c.t < start) + 1;
  for (const c of calls.slice(first)) {
    if (c.t - c.durationMs > Math.min(now, end)) continue;
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

/** At most one tick per this many px, so labels never collide. */
const TICK_PX = 70;

function drawGrid(ctx: CanvasRenderingContext2D, scale: Scale, lanesH: number, p: Palette): void {
  const { start, end } = scale.window;
  const step = tickStep(end - start, scale.plotW / TICK_PX);
  ctx.lineWidth = 1;
  ctx.strokeStyle = p.grid;
  for (const t of ticks(start, end, step)) {
    const x = Math.round(scale.xOf(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, lanesH);
    ctx.stroke();
  }
}

/** Engine time, as in the charts and the event log (time-base.ts); the grid moves with the requests. */
function drawAxis(ctx: CanvasRenderingContext2D, scale: Scale, lanesH: number, p: Palette): void {
  const { start, end } = scale.window;
  const step = tickStep(end - start, scale.plotW / TICK_PX);
  const y = lanesH + AXIS / 2;
  ctx.strokeStyle = p.grid;
  ctx.beginPath();
  ctx.moveTo(GUTTER, lanesH + 0.5);
  ctx.lineTo(GUTTER + scale.plotW, lanesH + 0.5);
  ctx.stroke();
  ctx.fillStyle = p.dim;
  ctx.textAlign = 'center';
  for (const t of ticks(start, end, step)) ctx.fillText(fmtTick(t, step), scale.xOf(t), y);
  // The axis's unit, in the gutter under the labels (the panel's heading names the whole base).
  ctx.textAlign = 'left';
  ctx.fillText(TIME_AXIS_UNIT, 6, y, GUTTER - 8);
}
