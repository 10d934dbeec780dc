import { type KeyboardEvent, useLayoutEffect, useRef, useState } from 'react';
import { usePalette } from '../hooks/useTheme.ts';
import { fmtMs } from '../model/format.ts';
import type { RequestRecord } from '../model/types.ts';
import { useStore } from '../store/store.ts';
import { fmtT, fmtTLong, TIME_BASE_LABEL } from '../time/time-base.ts';
import { freezeAt, goLive, panBy, type TimeView, windowOf, withSpan, zoomAt } from '../time/time-view.ts';
import type { Frame } from '../timeline/frame.ts';
import { type Hit, outgoingAt } from '../timeline/hits.ts';
import { moveFocus, navKeyOf } from '../timeline/navigation.ts';
import { AXIS } from '../timeline/scale.ts';
import { plotHeight } from '../timeline/size.ts';
import { useFrameLoop } from '../timeline/use-frame-loop.ts';
import { changeView, useTimelinePointer } from '../timeline/use-pointer.ts';
import { ExportButton } from './ExportButton.tsx';
import { Panel } from './Panel.tsx';
import { secondsOptions, Segmented } from './Segmented.tsx';
import { TIMELINE_KEYS, TimelineLegend } from './TimelineLegend.tsx';
import { TimelineResizeHandle } from './TimelineResizeHandle.tsx';
import { TimelineTip, type TipAt } from './TimelineTip.tsx';

const WINDOWS = secondsOptions([10, 30, 60, 120]);
/** One press of + or − zooms by this much (the wheel zooms continuously). */
const KEY_ZOOM = 0.5;
/** Shift-arrows pan by this part of the window. */
const KEY_PAN = 0.2;

/**
 * The timeline: one lane per instance, newest first, every lane labelled and reachable by
 * scrolling (only the lanes in view are drawn). A frame loop reads the store directly (no React
 * render per frame or per batch) and redraws at most 30 times a second. The window is the ui
 * slice's `timeView`: live, or fixed by zooming, panning or brushing; the charts follow it.
 */
export function Timeline() {
  const view = useStore((s) => s.ui.timeView);
  const maxHeight = useStore((s) => s.ui.timelineMaxHeight);
  const selected = useStore((s) => s.ui.selectedRequest);
  const setUi = useStore((s) => s.setUi);
  const showLeakView = useStore((s) => s.showLeakView);
  const palette = usePalette();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const scrollerRef = useRef<HTMLDivElement>(null);
  const frameRef = useRef<Frame | null>(null);
  const brushRef = useRef<{ from: number; to: number } | null>(null);
  const [focused, setFocused] = useState<number | null>(null);
  const focusedRef = useRef<number | null>(null);
  focusedRef.current = focused;
  const [lanesHeight, setLanesHeight] = useState(0);
  /** Where scroll anchoring wants the lanes once `lanesHeight` is laid out (see useFrameLoop). */
  const anchoredTop = useRef<number | null>(null);
  useLayoutEffect(() => {
    const top = anchoredTop.current;
    anchoredTop.current = null;
    if (top !== null && scrollerRef.current) scrollerRef.current.scrollTop = top;
  }, [lanesHeight]);
  /** The canvas's height as laid out (CSS may hold it under `plotH`): the spacer below it makes up the rest. */
  const [canvasH, setCanvasH] = useState(0);
  const [tip, setTip] = useState<TipAt | null>(null);
  const plotH = plotHeight(lanesHeight, maxHeight);

  useFrameLoop({
    canvas: canvasRef,
    scroller: scrollerRef,
    frame: frameRef,
    brush: brushRef,
    focused: focusedRef,
    palette,
    onLanesHeight: (px, top) => {
      anchoredTop.current = top;
      setLanesHeight(px);
    },
    onCanvasHeight: setCanvasH,
  });

  const select = (requestId: number): void => {
    setFocused(requestId);
    setUi({ selectedRequest: requestId });
  };
  const onPick = (hit: Hit): void => {
    if (hit.kind === 'request') {
      select(hit.request.requestId);
      if (hit.finding) showLeakView({ tab: 'leaks', instanceId: null, requestId: hit.request.requestId });
    } else if (hit.kind === 'outgoing' && hit.call.requestId !== null) {
      select(hit.call.requestId);
    }
  };
  const pointer = useTimelinePointer({
    scroller: scrollerRef,
    frame: frameRef,
    brush: brushRef,
    onHover: ({ x, y, hit }) =>
      setTip(
        hit
          ? {
              x,
              y,
              hit,
              calls:
                hit.kind === 'outgoing' && frameRef.current
                  ? outgoingAt(frameRef.current.hits, x, y).map((h) => h.call)
                  : [],
            }
          : null,
      ),
    onPick,
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const f = frameRef.current;
    if (!f) return;
    const nav = navKeyOf(e.key);
    if (nav && e.shiftKey && (nav === 'left' || nav === 'right')) {
      const span = f.scale.window.end - f.scale.window.start;
      changeView((v, now) => panBy(v, now, (nav === 'left' ? -1 : 1) * KEY_PAN * span));
    } else if (nav) {
      const next = moveFocus(f.layout, focusedRef.current, nav);
      setFocused(next);
      if (next !== null) scrollIntoView(scrollerRef.current, f, next);
    } else if (e.key === 'Enter' || e.key === ' ') {
      if (focusedRef.current === null) return;
      select(focusedRef.current);
    } else if (e.key === '+' || e.key === '=' || e.key === '-' || e.key === '_') {
      const zoomIn = e.key === '+' || e.key === '=';
      changeView((v, now) => zoomAt(v, now, zoomIn ? KEY_ZOOM : 1 / KEY_ZOOM, focusAt(f, focusedRef.current, v, now)));
    } else if (e.key === 'Home') {
      changeView(goLive);
    } else {
      return;
    }
    e.preventDefault();
  };

  const focusedRecord = useStore((s) => (focused === null ? null : (s.requests.byId.get(focused) ?? null)));
  const announcement = focusedRecord ? describeFocus(focusedRecord, focusedRecord.requestId === selected) : '';
  const live = view.live;
  const actions = (
    <>
      <button
        type="button"
        className="btn btn-small btn-icon"
        aria-label="Zoom out"
        title="Zoom out (−)"
        onClick={() => changeView((v, now) => zoomAt(v, now, 1 / KEY_ZOOM, 1))}
        data-testid="timeline-zoom-out"
      >
        −
      </button>
      <button
        type="button"
        className="btn btn-small btn-icon"
        aria-label="Zoom in"
        title="Zoom in (+)"
        onClick={() => changeView((v, now) => zoomAt(v, now, KEY_ZOOM, 1))}
        data-testid="timeline-zoom-in"
      >
        +
      </button>
      <button
        type="button"
        className={`btn btn-small ${live ? 'btn-live' : ''}`}
        aria-pressed={live}
        aria-label="Live"
        title={live ? 'Following now: press to hold this window' : 'A fixed window: press to follow now (Home)'}
        onClick={() => changeView((v, now) => (v.live ? freezeAt(v, now) : goLive(v)))}
        data-testid="timeline-follow"
      >
        {live ? '● Live' : '▶ Go live'}
      </button>
      <Segmented
        label="Timeline window"
        options={WINDOWS}
        value={view.spanMs / 1000}
        onChange={(w) => changeView((v) => withSpan(v, w * 1000))}
      />
      <ExportButton
        label="Export the timeline"
        testId="timeline-export"
        items={[{ title: 'Timeline', fileBase: 'timeline', target: () => canvasRef.current }]}
      />
    </>
  );
  return (
    <Panel
      title="Timeline"
      meta={<TimelineMeta view={view} />}
      actions={actions}
      className="timeline-panel"
      testId="timeline"
    >
      <div className="timeline-wrap">
        <div
          ref={scrollerRef}
          className="timeline-scroll"
          style={{ height: plotH }}
          tabIndex={0}
          role="group"
          aria-roledescription="timeline"
          aria-label="Requests per instance over time"
          aria-describedby="timeline-keys"
          onKeyDown={onKeyDown}
          data-testid="timeline-lanes"
          data-focused-request={focused ?? undefined}
          data-selected-request={selected ?? undefined}
        >
          <canvas
            ref={canvasRef}
            className={`timeline-canvas ${tip?.hit.kind === 'request' ? 'timeline-canvas-link' : ''}`}
            style={{ height: plotH }}
            data-testid="timeline-canvas"
            {...pointer}
            onPointerLeave={() => setTip(null)}
            aria-hidden="true"
          />
          <div className="timeline-spacer" style={{ height: Math.max(0, lanesHeight + AXIS - (canvasH || plotH)) }} />
        </div>
        {tip && <TimelineTip {...tip} width={canvasRef.current?.clientWidth ?? 0} />}
        <TimelineResizeHandle />
        <div className="timeline-status">
          <span className="timeline-focus mono" aria-live="polite" data-testid="timeline-focus">
            {announcement}
          </span>
          <span className="timeline-keys dim" aria-hidden="true">
            wheel: zoom · drag: pan · shift-drag: select range · shift-wheel: scroll · ←→↑↓ Enter +/− Home
          </span>
          <span id="timeline-keys" className="visually-hidden">
            {TIMELINE_KEYS}
          </span>
        </div>
        <TimelineLegend />
      </div>
    </Panel>
  );
}

/** The heading's note: the time base, and the window shown. */
function TimelineMeta({ view }: { view: TimeView }) {
  const fixed = view.live ? null : windowOf(view, view.endT);
  return (
    <span data-testid="timeline-window" data-live={view.live} data-span-ms={Math.round(view.spanMs)}>
      newest first · {TIME_BASE_LABEL}
      {fixed ? ` · ${fmtT(fixed.start)}–${fmtT(fixed.end)}` : ` · last ${fmtMs(view.spanMs)}`}
    </span>
  );
}

/** What the keyboard focus is on, in words, for the status line and screen readers. */
function describeFocus(r: RequestRecord, isSelected: boolean): string {
  const result = r.failure ? `${r.failure.kind}` : r.status !== null ? String(r.status) : r.outcome;
  const took = r.durationMs !== null ? ` in ${fmtMs(r.durationMs)}` : '';
  const where = r.instanceId === null ? '' : ` on instance ${r.instanceId} (reuse #${r.reuseIndex ?? '?'})`;
  const at = r.acceptedAt === null ? fmtTLong(r.receivedAt) : fmtTLong(r.acceptedAt);
  return `Request #${r.requestId} ${r.method} ${r.uri}${where}: ${result}${took}, ${at}.${isSelected ? ' Selected.' : ' Enter selects.'}`;
}

/** Keys zoom around the focused request when it is in the window, else around the middle. */
function focusAt(f: Frame, focused: number | null, view: TimeView, now: number): number {
  const w = windowOf(view, now);
  const at = focused === null ? undefined : f.layout.byRequest.get(focused);
  if (!at) return 0.5;
  const r = at.bar.request;
  const mid = (r.acceptedAt + (r.endedAt ?? now)) / 2;
  return Math.min(1, Math.max(0, (mid - w.start) / (w.end - w.start)));
}

/** Scrolls the lanes so the focused request's lane shows. */
function scrollIntoView(scroller: HTMLDivElement | null, f: Frame, requestId: number): void {
  const at = f.layout.byRequest.get(requestId);
  const lane = at ? f.layout.lanes[at.lane] : undefined;
  if (!scroller || !lane) return;
  const visible = scroller.clientHeight - AXIS;
  if (lane.top < scroller.scrollTop) scroller.scrollTop = lane.top;
  else if (lane.top + lane.height > scroller.scrollTop + visible) scroller.scrollTop = lane.top + lane.height - visible;
}
