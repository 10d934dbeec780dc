/**
 * The timeline's frame loop: reads the store directly (no React render per frame or per batch),
 * lays out and draws the lanes in view at most 30 times a second, and mirrors the frame for tests
 * (expose.ts). A frame is drawn only when it would differ from the last: something it shows
 * changed (drawn at once), or time moved the window (and the running bars) by at least a pixel,
 * then on the page's beat (4 times a second, down to once when the page backs off under load). A
 * fixed window whose end has passed is not redrawn at all while nothing changes (issue 16 §7: an
 * open dashboard's own cost).
 *
 * Frames are asked for, not polled: a store change, a resize, the page's beat (a still window
 * draws nothing on it) or the user's input on the timeline asks for one. An animation frame
 * requested every frame keeps the compositor, the GPU process and the browser producing 60 frames
 * a second even when nothing is drawn.
 */
import { type RefObject, useEffect } from 'react';
import { beatIntervalMs, onBeat } from '../hooks/beat.ts';
import { readEngineNow } from '../hooks/useNow.ts';
import type { Palette } from '../hooks/useTheme.ts';
import { useStore } from '../store/store.ts';
import { windowOf } from '../time/time-view.ts';
import { drawTimeline } from './draw.ts';
import { exposeFrame, exposeLeakMarkers, exposeOutgoingBars } from './expose.ts';
import type { Frame } from './frame.ts';
import { anchoredScrollTop } from './anchor.ts';
import { layoutLanes } from './layout.ts';
import { AXIS, scaleFor } from './scale.ts';

const FRAME_MS = 1000 / 30;
/**
 * After the user's input on the timeline (pointer, wheel, keys, scroll) frames are asked for
 * continuously this long: a drag, a brush or a keyboard step changes what is drawn through refs,
 * not the store. Input elsewhere on the page does not.
 */
const INPUT_FRAMES_MS = 1000;
const INPUT_EVENTS = ['pointerdown', 'pointermove', 'pointerup', 'wheel', 'keydown'] as const;

export interface FrameLoopDeps {
  canvas: RefObject<HTMLCanvasElement | null>;
  scroller: RefObject<HTMLDivElement | null>;
  /** Written with each frame drawn. */
  frame: { current: Frame | null };
  brush: RefObject<{ from: number; to: number } | null>;
  focused: RefObject<number | null>;
  palette: Palette;
  /**
   * The lanes' total height changed (the panel grows or its scroll range changes). `scrollTop`:
   * where the lanes must be scrolled once that height is laid out (scroll anchoring, which a
   * scroll range not yet grown would clamp), or null.
   */
  onLanesHeight(px: number, scrollTop: number | null): void;
  /** The canvas was laid out at this height. */
  onCanvasHeight(px: number): void;
}

export function useFrameLoop(deps: FrameLoopDeps): void {
  const { palette } = deps;
  // `deps` holds refs and setters, stable for the component's life; the palette changes with the theme.
  useEffect(() => {
    const canvas = deps.canvas.current;
    const scroller = deps.scroller.current;
    if (!canvas || !scroller) return; // not mounted
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('the timeline needs a 2D canvas context, and this browser gives none');
    let frame = 0;
    let requested = false;
    let inputUntil = 0;
    let last = 0;
    let size = { w: 0, h: 0 };
    let lanesHeight = -1;
    let drawnWith: unknown[] = [];
    let drawnNow = Number.NEGATIVE_INFINITY;
    let drawnAt = Number.NEGATIVE_INFINITY;
    // Kept from scroll events: reading scrollTop in the frame callback would force a layout of
    // whatever the page changed since the last frame, every frame.
    let scrollTop = scroller.scrollTop;
    /** Where scroll anchoring last scrolled to: its scroll event is not the user's input. */
    let anchoredTo: number | null = null;
    /** The pool the last frame drew: instance ids start again with a pool, so no anchoring across. */
    let drawnPool: number | null = null;
    const request = (): void => {
      if (requested) return;
      requested = true;
      frame = requestAnimationFrame(tick);
    };
    const onInput = (): void => {
      inputUntil = performance.now() + INPUT_FRAMES_MS;
      request();
    };
    const onScroll = (): void => {
      scrollTop = scroller.scrollTop;
      // (Within a pixel: a scroll position may come back rounded.)
      if (anchoredTo !== null && Math.abs(scrollTop - anchoredTo) < 1) request();
      else onInput();
      anchoredTo = null;
    };
    scroller.addEventListener('scroll', onScroll, { passive: true });
    for (const type of INPUT_EVENTS) scroller.addEventListener(type, onInput, { passive: true });
    const unsubscribe = useStore.subscribe(request);
    // On the page's beat: live motion is drawn in the frames the cards' and charts' refreshes take anyway.
    const stopClock = onBeat(request);
    const observer = new ResizeObserver((entries) => {
      const box = entries.at(-1)?.contentRect;
      if (!box) return;
      const dpr = window.devicePixelRatio || 1;
      size = { w: box.width, h: box.height };
      deps.onCanvasHeight(box.height);
      canvas.width = Math.round(box.width * dpr);
      canvas.height = Math.round(box.height * dpr);
      last = 0;
      drawnWith = [];
      drawnNow = Number.NEGATIVE_INFINITY;
      drawnAt = Number.NEGATIVE_INFINITY;
      request();
    });
    observer.observe(canvas);
    const tick = (time: number): void => {
      requested = false;
      if (time < inputUntil) request();
      if (size.w === 0) return;
      if (time - last < FRAME_MS) return request();
      last = time;
      const s = useStore.getState();
      const now = readEngineNow();
      const view = s.ui.timeView;
      const shown = windowOf(view, now);
      const inputs = [
        s.instances,
        s.requests,
        s.leaks.byRequest,
        s.outgoing.byInstance,
        view,
        s.ui.selectedRequest,
        deps.focused.current,
        deps.brush.current,
        scrollTop,
      ];
      const same = inputs.length === drawnWith.length && inputs.every((v, i) => v === drawnWith[i]);
      const still = !view.live && shown.end <= now;
      const pxPerMs = size.w / Math.max(1, shown.end - shown.start);
      // When only time moved, a live window redraws on the beat, no more often: new data reaches the
      // page at that pace at most (hooks/beat.ts), so motion in between shows nothing new and each
      // redraw costs a raster of the canvas. A frame's slack keeps the beat's ask from landing short.
      if (same && (still || (now - drawnNow) * pxPerMs < 1 || time - drawnAt < beatIntervalMs() - FRAME_MS)) return;
      drawnWith = inputs;
      drawnNow = now;
      drawnAt = time;
      const layout = layoutLanes(
        [...s.instances.live.values(), ...s.instances.retired],
        s.requests.byId.values(),
        shown,
        now,
      );
      // Scrolled down to some lane: stay on it while lanes come in above or change height.
      const before = deps.frame.current;
      const samePool = s.pool.poolId === drawnPool;
      drawnPool = s.pool.poolId;
      const anchored = before && samePool ? anchoredScrollTop(before.layout, layout, scrollTop) : scrollTop;
      if (anchored !== scrollTop) {
        scrollTop = anchored;
        anchoredTo = anchored;
        scroller.scrollTop = anchored;
      }
      const scale = scaleFor(shown, size.w);
      const dpr = window.devicePixelRatio || 1;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const hits = drawTimeline(ctx, {
        layout,
        scale,
        now,
        scrollTop,
        width: size.w,
        height: size.h,
        palette,
        leakFindings: s.leaks.byRequest,
        outgoing: s.outgoing.byInstance,
        selected: s.ui.selectedRequest,
        focused: deps.focused.current,
        brush: deps.brush.current,
      });
      const f: Frame = { now, layout, scale, hits, lanesH: Math.max(0, size.h - AXIS) };
      deps.frame.current = f;
      if (layout.height !== lanesHeight) {
        lanesHeight = layout.height;
        deps.onLanesHeight(layout.height, anchoredTo);
      }
      exposeFrame(canvas, f, scrollTop, size.h, {
        focused: deps.focused.current,
        selected: s.ui.selectedRequest,
      });
      // Most runs have no findings: then there is nothing to mirror (or only stale marks to clear).
      if (s.leaks.byRequest.size > 0 || canvas.dataset.leakRequests) exposeLeakMarkers(canvas, hits);
      if (s.outgoing.byInstance.size > 0 || canvas.dataset.outgoingPoints) exposeOutgoingBars(canvas, hits);
    };
    request();
    return () => {
      cancelAnimationFrame(frame);
      stopClock();
      unsubscribe();
      observer.disconnect();
      scroller.removeEventListener('scroll', onScroll);
      for (const type of INPUT_EVENTS) scroller.removeEventListener(type, onInput);
    };
  }, [palette]);
}
