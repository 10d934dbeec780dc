import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { describeCallTarget, EXIT_CAUSE_LABELS } from '../../../protocol/index.ts';
import { readEngineNow } from '../hooks/useNow.ts';
import { usePalette } from '../hooks/useTheme.ts';
import { fmtBytes, fmtMs } from '../model/format.ts';
import { summarizeDifference } from '../model/leak-diff.ts';
import { useStore } from '../store/store.ts';
import type { OutgoingRecord } from '../model/types.ts';
import { drawTimeline, hitAt, outgoingAt, type Hit } from '../timeline/draw.ts';
import { Panel } from './Panel.tsx';
import { secondsOptions, Segmented } from './Segmented.tsx';

const WINDOWS = secondsOptions([10, 30, 60, 120]);
const FRAME_MS = 1000 / 30;

/**
 * The timeline canvas. A frame loop reads the store directly (no React render per frame or per
 * batch) and redraws at most 30 times a second while following live.
 */
export function Timeline() {
  const windowSec = useStore((s) => s.ui.timelineWindowSec);
  const setUi = useStore((s) => s.setUi);
  const palette = usePalette();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const hitsRef = useRef<Hit[]>([]);
  const [frozenAt, setFrozenAt] = useState<number | null>(null);
  const [tip, setTip] = useState<TipAt | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return; // not mounted
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('the timeline needs a 2D canvas context, and this browser gives none');
    let frame = 0;
    let last = 0;
    let size = { w: 0, h: 0 };
    const observer = new ResizeObserver((entries) => {
      const box = entries.at(-1)?.contentRect;
      if (!box) return;
      const dpr = window.devicePixelRatio || 1;
      size = { w: box.width, h: box.height };
      canvas.width = Math.round(box.width * dpr);
      canvas.height = Math.round(box.height * dpr);
      last = 0;
    });
    observer.observe(canvas);
    const tick = (time: number): void => {
      frame = requestAnimationFrame(tick);
      if (time - last < FRAME_MS || size.w === 0) return;
      last = time;
      const s = useStore.getState();
      const dpr = window.devicePixelRatio || 1;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      hitsRef.current = drawTimeline(ctx, {
        now: frozenAt ?? readEngineNow(),
        windowMs: windowSec * 1000,
        instances: [...s.instances.live.values(), ...s.instances.retired],
        requests: s.requests.byId.values(),
        width: size.w,
        height: size.h,
        palette,
        leakFindings: s.leaks.byRequest,
        outgoing: s.outgoing.byInstance,
      });
      // Most runs have no findings: then there is nothing to mirror (or only stale marks to clear).
      if (s.leaks.byRequest.size > 0 || canvas.dataset.leakRequests) exposeLeakMarkers(canvas, hitsRef.current);
      if (s.outgoing.byInstance.size > 0 || canvas.dataset.outgoingPoints) exposeOutgoingBars(canvas, hitsRef.current);
    };
    frame = requestAnimationFrame(tick);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, [windowSec, palette, frozenAt]);

  const showLeakView = useStore((s) => s.showLeakView);
  const onClick = (e: MouseEvent<HTMLCanvasElement>): void => {
    const box = e.currentTarget.getBoundingClientRect();
    const hit = hitAt(hitsRef.current, e.clientX - box.left, e.clientY - box.top);
    if (hit?.kind === 'request' && hit.finding)
      showLeakView({ tab: 'leaks', instanceId: null, requestId: hit.request.requestId });
  };

  const onMove = (e: MouseEvent<HTMLCanvasElement>): void => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - box.left;
    const y = e.clientY - box.top;
    const hit = hitAt(hitsRef.current, x, y);
    setTip(
      hit
        ? { x, y, hit, calls: hit.kind === 'outgoing' ? outgoingAt(hitsRef.current, x, y).map((h) => h.call) : [] }
        : null,
    );
  };

  const actions = (
    <>
      <button
        type="button"
        className={`btn btn-small ${frozenAt === null ? 'btn-live' : ''}`}
        onClick={() => setFrozenAt(frozenAt === null ? readEngineNow() : null)}
        data-testid="timeline-follow"
      >
        {frozenAt === null ? '● Live' : '❚❚ Paused'}
      </button>
      <Segmented
        label="Timeline window"
        options={WINDOWS}
        value={windowSec}
        onChange={(w) => setUi({ timelineWindowSec: w })}
      />
    </>
  );
  return (
    <Panel title="Timeline" meta="one lane per instance" actions={actions} className="timeline-panel" testId="timeline">
      <div className="timeline-wrap">
        <canvas
          ref={canvasRef}
          className={`timeline-canvas ${tip?.hit.kind === 'request' && tip.hit.finding ? 'timeline-canvas-link' : ''}`}
          data-testid="timeline-canvas"
          onMouseMove={onMove}
          onMouseLeave={() => setTip(null)}
          onClick={onClick}
          aria-label="Requests per instance over time"
        />
        {tip && <TimelineTip {...tip} width={canvasRef.current?.clientWidth ?? 0} />}
        <Legend />
      </div>
    </Panel>
  );
}

/**
 * The canvas has no DOM per bar: the leak markers drawn in the last frame are mirrored in data
 * attributes (request ids, and `id:x:y` centres) for tests and tools; written only when they change.
 */
function exposeLeakMarkers(canvas: HTMLCanvasElement, hits: readonly Hit[]): void {
  const marked = hits.filter((h): h is Extract<Hit, { kind: 'request' }> => h.kind === 'request' && h.finding !== null);
  const ids = marked.map((h) => h.request.requestId).join(' ');
  const points = marked
    .map((h) => `${h.request.requestId}:${Math.round(h.x + h.w / 2)}:${Math.round(h.y + h.h / 2)}`)
    .join(' ');
  if (canvas.dataset.leakRequests !== ids) canvas.dataset.leakRequests = ids;
  if (canvas.dataset.leakPoints !== points) canvas.dataset.leakPoints = points;
}

/**
 * The outgoing requests drawn in the last frame, mirrored the same way: `seq:instance:request:x:y`
 * for each (request `-` when the engine could not tell which one made it), `x:y` its centre.
 */
function exposeOutgoingBars(canvas: HTMLCanvasElement, hits: readonly Hit[]): void {
  const points = hits
    .filter((h): h is Extract<Hit, { kind: 'outgoing' }> => h.kind === 'outgoing')
    .map(
      (h) =>
        `${h.call.seq}:${h.call.instanceId}:${h.call.requestId ?? '-'}:${Math.round(h.x + h.w / 2)}:${Math.round(h.y + h.h / 2)}`,
    )
    .join(' ');
  if (canvas.dataset.outgoingPoints !== points) canvas.dataset.outgoingPoints = points;
}

/** Room a tip may take to the right of the pointer; nearer the right edge it opens to the left. */
const TIP_ROOM = 380;

/** What the pointer is on: the topmost hit, and when that is an outgoing bar, every call under the pointer. */
interface TipAt {
  x: number;
  y: number;
  hit: Hit;
  calls: OutgoingRecord[];
}

function TimelineTip({ x, y, hit, calls, width }: TipAt & { width: number }) {
  const style: TipStyle =
    x > width - TIP_ROOM && x > TIP_ROOM ? { right: width - x + 12, top: y + 12 } : { left: x + 12, top: y + 12 };
  if (hit.kind === 'outgoing') return <OutgoingTip style={style} calls={calls} />;
  if (hit.kind === 'exit') {
    const e = hit.exit;
    return (
      <div className="tip" style={style}>
        <b>#{hit.instance.instanceId}</b> {EXIT_CAUSE_LABELS[e.cause]} · served {e.served} · lived {fmtMs(e.lifetimeMs)}
        {e.message && <div className="err">{e.message}</div>}
      </div>
    );
  }
  const r = hit.request;
  return (
    <div className="tip" style={style}>
      <b>#{r.requestId}</b> {r.method} {r.uri}
      <div className="dim">
        instance {r.instanceId} · reuse #{r.reuseIndex} · {r.status ?? r.outcome}
        {r.durationMs !== null ? ` · ${fmtMs(r.durationMs)}` : r.latencyMs !== null ? ` · ${fmtMs(r.latencyMs)}` : ''}
      </div>
      {r.failure && (
        <div className="err">
          {r.failure.kind}: {r.failure.message}
        </div>
      )}
      {hit.finding && (
        <div className="tip-leak" data-testid="timeline-leak-tip">
          ⚠ leak: {hit.finding.differences.map(summarizeDifference).join('; ')}
          <div className="dim">click to open the diff</div>
        </div>
      )}
    </div>
  );
}

type TipStyle = { left: number; top: number } | { right: number; top: number };

/** At most this many calls are described in one tip; the rest are counted (zooming in parts them). */
const TIP_CALLS = 3;

/** The outgoing requests under the pointer, nearest first, each described in full. */
function OutgoingTip({ style, calls }: { style: TipStyle; calls: readonly OutgoingRecord[] }) {
  const more = calls.length - TIP_CALLS;
  return (
    <div className="tip" style={style} data-testid="timeline-outgoing-tip">
      {calls.slice(0, TIP_CALLS).map((c) => (
        <OutgoingCall key={c.seq} call={c} />
      ))}
      {more > 0 && <div className="dim">+{more} more outgoing here: pick a narrower window to part them</div>}
    </div>
  );
}

/** An outgoing request: what was asked, how it ended, for which request, and what the lane no longer shows. */
function OutgoingCall({ call: c }: { call: OutgoingRecord }) {
  const notKept = useStore((s) => s.outgoing.notKept.get(c.instanceId) ?? 0);
  const ended =
    c.outcome === 'failed'
      ? 'failed'
      : c.outcome === 'dropped'
        ? `let go by the guest${c.status === null ? '' : ` after ${c.status}`}`
        : `→ ${c.status ?? '?'}`;
  return (
    <div
      className="tip-call"
      data-testid="timeline-outgoing-call"
      data-outcome={c.outcome}
      data-request-id={c.requestId ?? undefined}
    >
      <b>outgoing</b> <span className="mono">{describeCallTarget(c)}</span>
      <div className="dim">
        {ended} · {fmtMs(c.durationMs)} · {fmtBytes(c.requestBytes)} ↑ {fmtBytes(c.responseBytes)} ↓
      </div>
      {c.error && (
        <div className="err">
          {c.error.tag}
          {c.error.detail ? `: ${c.error.detail}` : ''}
        </div>
      )}
      <div className="dim">
        instance {c.instanceId} · {c.requestId === null ? 'request not known' : `request #${c.requestId}`}
        {notKept > 0 && ` · ${notKept} earlier outgoing not kept`}
      </div>
    </div>
  );
}

function Legend() {
  return (
    <div className="legend" aria-hidden="true">
      <span className="lg lg-ok">request</span>
      <span className="lg lg-run">running</span>
      <span className="lg lg-err">timeout / failed</span>
      <span className="lg lg-trap">trap / 5xx</span>
      <span className="lg lg-start">starting</span>
      <span className="lg lg-leak">leak found</span>
      <span className="lg lg-out">outgoing</span>
    </div>
  );
}
