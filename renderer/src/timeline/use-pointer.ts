/**
 * The timeline's pointer: wheel zooms around the pointer (shift-wheel scrolls the lanes, a
 * sideways wheel pans), drag pans, shift-drag brushes a range that becomes the window, and a
 * click without a drag selects what is under it. Each gesture turns the view into a fixed window
 * through time-view.ts; "Live" (or Home) follows now again.
 */
import { type MouseEvent, type PointerEvent, type RefObject, useEffect, useRef } from 'react';
import { readEngineNow } from '../hooks/useNow.ts';
import { useStore } from '../store/store.ts';
import { brushTo, panBy, type TimeView, zoomAt } from '../time/time-view.ts';
import type { Frame } from './frame.ts';
import { type Hit, hitAt } from './hits.ts';
import { GUTTER } from './scale.ts';

/** A pointer moved less than this (px) between down and up is a click, not a drag. */
const CLICK_SLOP = 3;
/** Zoom per pixel of wheel: 100 px (one notch on most mice) zooms by e^0.2 ≈ 1.22. */
const WHEEL_ZOOM = 0.002;
/** Wheel deltas in lines or pages, as pixels. */
const LINE_PX = 16;

/** Applies `change` to the view in the store, at engine time now. */
export function changeView(change: (view: TimeView, now: number) => TimeView): void {
  const s = useStore.getState();
  s.setUi({ timeView: change(s.ui.timeView, readEngineNow()) });
}

interface Drag {
  x0: number;
  t0: number;
  view0: TimeView;
  now0: number;
  brush: boolean;
  moved: boolean;
  plotW: number;
}

export interface PointerHandlers {
  onPointerDown(e: PointerEvent<HTMLCanvasElement>): void;
  onPointerMove(e: PointerEvent<HTMLCanvasElement>): void;
  onPointerUp(e: PointerEvent<HTMLCanvasElement>): void;
  onClick(e: MouseEvent<HTMLCanvasElement>): void;
}

export function useTimelinePointer(opts: {
  scroller: RefObject<HTMLDivElement | null>;
  frame: RefObject<Frame | null>;
  brush: { current: { from: number; to: number } | null };
  onHover(at: { x: number; y: number; hit: Hit | null }): void;
  onPick(hit: Hit): void;
}): PointerHandlers {
  const drag = useRef<Drag | null>(null);
  /** The last pointer-up ended a drag: its click is not a pick. */
  const dragged = useRef(false);
  const { scroller, frame, brush, onHover, onPick } = opts;

  useEffect(() => {
    const el = scroller.current;
    if (!el) return; // not mounted
    // Not React's onWheel: that listener is passive, and the page must not scroll while zooming.
    const onWheel = (e: WheelEvent): void => {
      const f = frame.current;
      if (!f) return;
      const unit = e.deltaMode === 1 ? LINE_PX : e.deltaMode === 2 ? el.clientHeight : 1;
      const dx = e.deltaX * unit;
      const dy = e.deltaY * unit;
      e.preventDefault();
      if (e.shiftKey) {
        el.scrollTop += dy || dx; // (Chromium turns a shifted wheel sideways)
        return;
      }
      if (Math.abs(dx) > Math.abs(dy)) {
        const perPx = (f.scale.window.end - f.scale.window.start) / f.scale.plotW;
        changeView((view, now) => panBy(view, now, dx * perPx));
        return;
      }
      const x = e.clientX - el.getBoundingClientRect().left;
      changeView((view, now) => zoomAt(view, now, Math.exp(dy * WHEEL_ZOOM), f.scale.fractionOf(x)));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [scroller, frame]);

  const at = (e: MouseEvent<HTMLCanvasElement>): { x: number; y: number } => {
    const box = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };

  return {
    onPointerDown(e) {
      const f = frame.current;
      const { x } = at(e);
      if (!f || e.button !== 0 || x < GUTTER) return;
      dragged.current = false;
      drag.current = {
        x0: x,
        t0: f.scale.tOf(x),
        view0: useStore.getState().ui.timeView,
        now0: f.now,
        brush: e.shiftKey,
        moved: false,
        plotW: f.scale.plotW,
      };
      e.currentTarget.setPointerCapture(e.pointerId);
    },
    onPointerMove(e) {
      const { x, y } = at(e);
      const d = drag.current;
      if (!d) {
        onHover({ x, y, hit: frame.current ? hitAt(frame.current.hits, x, y) : null });
        return;
      }
      if (!d.moved && Math.abs(x - d.x0) < CLICK_SLOP) return;
      d.moved = true;
      onHover({ x, y, hit: null });
      const f = frame.current;
      if (d.brush) {
        if (f) brush.current = { from: d.t0, to: f.scale.tOf(x) };
        return;
      }
      const span = d.view0.spanMs;
      const deltaMs = -((x - d.x0) / d.plotW) * span;
      useStore.getState().setUi({ timeView: panBy(d.view0, d.now0, deltaMs) });
    },
    onPointerUp(e) {
      const d = drag.current;
      drag.current = null;
      if (!d) return;
      if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
      dragged.current = d.moved;
      const range = brush.current;
      brush.current = null;
      if (d.brush && d.moved && range) changeView((_, now) => brushTo(range.from, range.to, now));
    },
    onClick(e) {
      if (dragged.current) return;
      const f = frame.current;
      const { x, y } = at(e);
      const hit = f ? hitAt(f.hits, x, y) : null;
      if (hit) onPick(hit);
    },
  };
}
