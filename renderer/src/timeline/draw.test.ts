import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Palette } from '../hooks/useTheme.ts';
import { loadFixture, replay } from '../model/test-support.ts';
import type { DataState } from '../model/types.ts';
import type { TimeWindow } from '../time/time-view.ts';
import { drawTimeline, type TimelineInput } from './draw.ts';
import { hitAt, outgoingAt, requestHit } from './hits.ts';
import { layoutLanes } from './layout.ts';
import { AXIS, scaleFor } from './scale.ts';

/** A canvas context that draws nothing (text 6 px a character): the drawing's hit targets are what is checked. */
const ctx = new Proxy({} as Record<string | symbol, unknown>, {
  get: (target, key) =>
    key in target ? target[key] : key === 'measureText' ? (text: string) => ({ width: 6 * text.length }) : () => {},
  set: (target, key, value) => ((target[key] = value), true),
}) as unknown as CanvasRenderingContext2D;
const palette = Object.fromEntries(
  ['text', 'dim', 'grid', 'accent', 'ok', 'warn', 'err', 'purple', 'teal', 'lane', 'laneAlt', 'starting'].map((k) => [
    k,
    k,
  ]),
) as unknown as Palette;

/** The frame the timeline would draw of `state` over `window`, `width` × `height`, scrolled to `scrollTop`. */
function frame(
  state: DataState,
  window: TimeWindow,
  size: { width: number; height: number; scrollTop?: number },
  marked: { selected?: number; focused?: number } = {},
): TimelineInput {
  const now = window.end;
  return {
    layout: layoutLanes(
      [...state.instances.live.values(), ...state.instances.retired],
      state.requests.byId.values(),
      window,
      now,
    ),
    scale: scaleFor(window, size.width),
    now,
    scrollTop: size.scrollTop ?? 0,
    width: size.width,
    height: size.height,
    palette,
    leakFindings: state.leaks.byRequest,
    outgoing: state.outgoing.byInstance,
    selected: marked.selected ?? null,
    focused: marked.focused ?? null,
    brush: null,
  };
}

describe('the timeline draws outgoing requests', () => {
  const FIXTURE = 'fetch-outgoing.jsonl';

  it("each one on the bar of the request that made it, in its instance's lane, hit before that request", () => {
    const state = replay(loadFixture(FIXTURE).filter((e) => e.type !== 'worker.exit'));
    const calls = state.outgoing.byInstance.get(0)!;
    const now = calls.at(-1)!.t + 10;
    const hits = drawTimeline(ctx, frame(state, { start: calls[0]!.t - 1000, end: now }, { width: 1200, height: 300 }));
    const outgoing = hits.filter((h) => h.kind === 'outgoing');
    assert.deepEqual(
      outgoing.map((h) => h.call.seq),
      calls.map((c) => c.seq),
    );
    for (const h of outgoing) {
      const bar = hits.find((b) => b.kind === 'request' && b.request.requestId === h.call.requestId)!;
      assert.ok(bar, `request ${h.call.requestId} is drawn`);
      // On the bar's bottom edge, and found first where both are.
      assert.ok(
        h.y + h.h >= bar.y + bar.h - 1 && h.y <= bar.y + bar.h,
        `call ${h.call.seq} sits at the bottom of its request`,
      );
      assert.equal(hitAt(hits, h.x + h.w / 2, h.y + h.h / 2)?.kind, 'outgoing');
      // Every call under the pointer is named, this one first: bars that share pixels do not hide each other.
      assert.equal(outgoingAt(hits, h.x + h.w / 2, h.y + h.h / 2)[0], h);
    }
  });

  it('calls that share pixels are all under the pointer, nearest centre first', () => {
    const state = replay(loadFixture(FIXTURE).filter((e) => e.type !== 'worker.exit'));
    const calls = state.outgoing.byInstance.get(0)!;
    const now = calls.at(-1)!.t + 10;
    // A window so wide that every call of the fixture falls within a few pixels.
    const hits = drawTimeline(ctx, frame(state, { start: now - 3_600_000, end: now }, { width: 600, height: 300 }));
    const outgoing = hits.filter((h) => h.kind === 'outgoing');
    const first = outgoing[0]!;
    const under = outgoingAt(hits, first.x + first.w / 2, first.y + first.h / 2);
    assert.ok(under.length > 1, "the fixture's calls overlap in an hour-wide window");
    assert.equal(under[0], first);
    const distances = under.map((h) => Math.abs(h.x + h.w / 2 - (first.x + first.w / 2)));
    assert.deepEqual(
      distances,
      [...distances].sort((a, b) => a - b),
    );
  });
});

describe('the timeline draws only the lanes in view, each request a target', () => {
  const state = replay(loadFixture('p3-concurrent.jsonl'));
  const WINDOW = { start: 0, end: 3000 };

  it('concurrent requests are separate targets, one per sub-row, none hiding another', () => {
    const hits = drawTimeline(ctx, frame(state, WINDOW, { width: 1000, height: 400 }));
    const bars = hits.filter((h) => h.kind === 'request');
    assert.equal(bars.length, 8);
    for (const b of bars) {
      const hit = hitAt(hits, b.x + b.w / 2, b.y + b.h / 2);
      assert.equal(hit?.kind === 'request' && hit.request.requestId, b.request.requestId);
      assert.ok(b.h >= 6, `request ${b.request.requestId}'s bar is ${b.h} px tall`);
    }
  });

  it('scrolled down, the lanes above are not drawn and the rest move up by the scroll', () => {
    const full = frame(state, WINDOW, { width: 1000, height: 400 });
    const topLane = full.layout.lanes[0]!;
    const all = drawTimeline(ctx, full);
    // The canvas shows one lane's height (plus the axis), scrolled past the first lane.
    const scrolled = drawTimeline(
      ctx,
      frame(state, WINDOW, { width: 1000, height: full.layout.lanes[1]!.height + AXIS, scrollTop: topLane.height }),
    );
    const ids = (hs: typeof all) =>
      hs.flatMap((h) => (h.kind === 'request' ? [h.request.requestId] : [])).sort((a, b) => a - b);
    assert.deepEqual(ids(all), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(ids(scrolled), [2, 4], "only instance 1's lane");
    const before = requestHit(all, 4)!;
    const after = requestHit(scrolled, 4)!;
    assert.equal(after.y, before.y - topLane.height);
  });

  it('labels every lane drawn with its id and state, in the gutter', () => {
    const texts: string[] = [];
    const recording = new Proxy({} as Record<string | symbol, unknown>, {
      get: (target, key) =>
        key === 'fillText'
          ? (text: string) => void texts.push(text)
          : key === 'measureText'
            ? (text: string) => ({ width: 6 * text.length })
            : key in target
              ? target[key]
              : () => {},
      set: (target, key, value) => ((target[key] = value), true),
    }) as unknown as CanvasRenderingContext2D;
    drawTimeline(recording, frame(state, WINDOW, { width: 1000, height: 400 }));
    for (const [id, why] of [
      [2, 'drained'],
      [1, 'idle-timeout'],
      [0, 'idle-timeout'],
    ] as const) {
      const at = texts.indexOf(`#${id}`);
      assert.ok(at >= 0, `lane ${id} is labelled`);
      assert.equal(texts[at + 1], why);
    }
  });

  it('outlines the selected request solid and the focused one dashed, around their bars', () => {
    const strokes: Array<{ color: unknown; dash: number[]; x: number; y: number }> = [];
    let dash: number[] = [];
    const recording = new Proxy({} as Record<string | symbol, unknown>, {
      get: (target, key) =>
        key === 'strokeRect'
          ? (x: number, y: number) => strokes.push({ color: target.strokeStyle, dash, x, y })
          : key === 'setLineDash'
            ? (d: number[]) => void (dash = d)
            : key === 'restore'
              ? () => void (dash = [])
              : key in target
                ? target[key]
                : key === 'measureText'
                  ? (text: string) => ({ width: 6 * text.length })
                  : () => {},
      set: (target, key, value) => ((target[key] = value), true),
    }) as unknown as CanvasRenderingContext2D;
    const hits = drawTimeline(
      recording,
      frame(state, WINDOW, { width: 1000, height: 400 }, { selected: 3, focused: 5 }),
    );
    const around = (id: number) => {
      const bar = requestHit(hits, id)!;
      return strokes.filter((s) => Math.abs(s.x - (bar.x - 1.5)) < 0.01 && Math.abs(s.y - (bar.y - 1)) < 0.01);
    };
    assert.deepEqual(
      around(3).map((s) => [s.color, s.dash.length > 0]),
      [['text', false]],
    );
    assert.deepEqual(
      around(5).map((s) => [s.color, s.dash.length > 0]),
      [['accent', true]],
    );
    assert.deepEqual(around(1), [], 'an unmarked request has no outline');
  });
});
