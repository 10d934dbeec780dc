/**
 * The canvas has no DOM per lane or bar: what the last frame drew is mirrored in data attributes
 * of the canvas, for tests and tools. Each is written only when it changes.
 */
import type { Frame } from './frame.ts';
import { type Hit, requestHit } from './hits.ts';
import { AXIS } from './scale.ts';

/**
 * The window (engine ms), the lanes drawn
 * (ids, top to bottom), how many lanes and requests there are in all, and where the focused and selected bars are.
 */
export function exposeFrame(
  canvas: HTMLCanvasElement,
  f: Frame,
  scrollTop: number,
  height: number,
  marked: { focused: number | null; selected: number | null },
): void {
  const set = (key: string, value: string): void => {
    if (canvas.dataset[key] !== value) canvas.dataset[key] = value;
  };
  set('viewStart', String(Math.round(f.scale.window.start)));
  set('viewEnd', String(Math.round(f.scale.window.end)));
  set('laneCount', String(f.layout.lanes.length));
  set('requestCount', String(f.layout.byRequest.size));
  const drawn = f.layout.lanes.filter((l) => l.top + l.height > scrollTop && l.top < scrollTop + height - AXIS);
  set('lanes', drawn.map((l) => l.instance.instanceId).join(' '));
  // `id:rows` per lane drawn: its sub-rows, one per request running at once.
  set('laneRows', drawn.map((l) => `${l.instance.instanceId}:${l.rows}`).join(' '));
  // The focused and the selected bar's centre (`id:x:y`), when drawn: where a pointer would pick them.
  const point = (id: number | null): string => {
    const h = id === null ? null : requestHit(f.hits, id);
    return h ? `${id}:${Math.round(h.x + h.w / 2)}:${Math.round(h.y + h.h / 2)}` : '';
  };
  set('focusedPoint', point(marked.focused));
  set('selectedPoint', point(marked.selected));
}

/**
 * The leak markers drawn in the last frame, mirrored in data attributes (request ids, and
 * `id:x:y` centres) for tests and tools.
 */
export function exposeLeakMarkers(canvas: HTMLCanvasElement, hits: readonly Hit[]): void {
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
export function exposeOutgoingBars(canvas: HTMLCanvasElement, hits: readonly Hit[]): void {
  const points = hits
    .filter((h): h is Extract<Hit, { kind: 'outgoing' }> => h.kind === 'outgoing')
    .map(
      (h) =>
        `${h.call.seq}:${h.call.instanceId}:${h.call.requestId ?? '-'}:${Math.round(h.x + h.w / 2)}:${Math.round(h.y + h.h / 2)}`,
    )
    .join(' ');
  if (canvas.dataset.outgoingPoints !== points) canvas.dataset.outgoingPoints = points;
}
