import { type KeyboardEvent, type PointerEvent, useRef } from 'react';
import { useStore } from '../store/store.ts';
import { clampTimelineHeight, HEIGHT_STEP, MAX_TIMELINE_HEIGHT, MIN_TIMELINE_HEIGHT } from '../timeline/size.ts';

/**
 * The bar under the timeline: drag it (or focus it and press the up and down arrows) to set how
 * tall the timeline may grow before its lanes scroll. A window splitter, as ARIA names one.
 */
export function TimelineResizeHandle() {
  const maxHeight = useStore((s) => s.ui.timelineMaxHeight);
  const setUi = useStore((s) => s.setUi);
  const drag = useRef<{ y0: number; h0: number } | null>(null);
  const set = (px: number): void => setUi({ timelineMaxHeight: clampTimelineHeight(px) });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const by: Record<string, number> = {
      ArrowDown: HEIGHT_STEP,
      ArrowUp: -HEIGHT_STEP,
      PageDown: 5 * HEIGHT_STEP,
      PageUp: -5 * HEIGHT_STEP,
    };
    if (e.key === 'Home') set(MIN_TIMELINE_HEIGHT);
    else if (e.key === 'End') set(MAX_TIMELINE_HEIGHT);
    else if (by[e.key] !== undefined) set(maxHeight + (by[e.key] ?? 0));
    else return;
    e.preventDefault();
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>): void => {
    drag.current = { y0: e.clientY, h0: maxHeight };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>): void => {
    if (drag.current) set(drag.current.h0 + e.clientY - drag.current.y0);
  };
  const onPointerUp = (): void => {
    drag.current = null;
  };
  return (
    <div
      className="timeline-resize"
      role="separator"
      aria-orientation="horizontal"
      aria-label="Timeline height"
      aria-valuemin={MIN_TIMELINE_HEIGHT}
      aria-valuemax={MAX_TIMELINE_HEIGHT}
      aria-valuenow={maxHeight}
      aria-valuetext={`at most ${maxHeight} px, then the lanes scroll`}
      tabIndex={0}
      title="Drag, or use the up and down arrows, to set the timeline's height"
      onKeyDown={onKeyDown}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      data-testid="timeline-resize"
    />
  );
}
