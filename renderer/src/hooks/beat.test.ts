/** The page's beat: how it slows with the pace of live data, and that listeners still act as often as they asked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BEAT_MS, beatNow, beatsPer, livePaceMs, nextBeat, onBeat, onPace, setBeatPace, stepFor } from './beat.ts';

test('the beat follows the pacer: 250 ms while deliveries come that often, 500 ms, then 1 s at most', () => {
  assert.deepEqual([250, 400, 500, 999, 1000, 2000].map(stepFor), [1, 1, 2, 2, 4, 4]);
});

test('a listener acts on every tick at or under its interval, and never less often than it asked, across pace changes', () => {
  // Ticks at step 1, then 4 (the page backed off), then 2, then 1; a 1 s listener and a 250 ms one.
  const steps = [1, 1, 1, 4, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1, 1];
  let beat = 0;
  let t = 0;
  const actedAt: Record<number, number[]> = { 1: [], 4: [] };
  for (const step of steps) {
    beat = nextBeat(beat, step);
    t += BEAT_MS * step;
    for (const every of [1, 4]) if (beat % every === 0) actedAt[every]?.push(t);
  }
  // The 250 ms listener acts on every tick, however far apart the ticks are; the 1 s one once a
  // second throughout (its first act waits for the slowed tick: 750 ms + 1 s).
  assert.equal(actedAt[1]?.length, steps.length);
  assert.deepEqual(actedAt[4], [1750, 2750, 3750, 4750, 5750, 6750]);
  assert.equal(beatsPer(1000), 4);
  assert.equal(beatsPer(500), 2);
});

test('a delivery beats at once, and the timer beats only when deliveries stop: one frame each, not two', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const beats: Array<{ at: number; beat: number }> = [];
  let now = 0;
  const advance = (ms: number) => {
    t.mock.timers.tick(ms);
    now += ms;
  };
  const off = onBeat((beat) => beats.push({ at: now, beat }));
  try {
    setBeatPace(1000); // loaded: deliveries every second, the beat at its slowest
    for (let i = 0; i < 5; i++) {
      advance(i === 0 ? 900 : 1000); // (the first before the timer's own first beat)
      beatNow(); // the pacer delivered
    }
    assert.equal(beats.length, 5, "no beat of the timer's own between deliveries");
    assert.deepEqual(
      beats.map((b) => b.at),
      [900, 1900, 2900, 3900, 4900],
    );
    assert.ok(
      beats.every((b) => b.beat % 4 === 0),
      'each is a whole second: 1 s listeners act on every one',
    );
    // Deliveries stop (the load ended): the timer takes over a beat past the missed delivery.
    advance(1000 + BEAT_MS - 1);
    assert.equal(beats.length, 5);
    advance(1);
    assert.equal(beats.length, 6);
    advance(4 * BEAT_MS);
    assert.equal(beats.length, 7, 'then every beat at the pace it has');
    // Quiet pace: deliveries every 250 ms drive the beat just the same.
    setBeatPace(BEAT_MS);
    const before = beats.length;
    for (let i = 0; i < 8; i++) {
      advance(BEAT_MS);
      beatNow();
    }
    assert.equal(beats.length - before, 8);
  } finally {
    off();
  }
});

test('whoever shows the pace hears each change of it, and only a change', () => {
  setBeatPace(BEAT_MS); // whatever an earlier test left (the beat is the page's one, module-wide)
  const heard: number[] = [];
  const off = onPace(() => heard.push(livePaceMs()));
  try {
    setBeatPace(1000);
    setBeatPace(1000);
    setBeatPace(1730);
    setBeatPace(BEAT_MS);
  } finally {
    off();
  }
  setBeatPace(2000); // no longer listening
  setBeatPace(BEAT_MS);
  assert.deepEqual(heard, [1000, 1730, BEAT_MS]);
});
