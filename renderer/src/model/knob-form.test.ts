import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultKnobs, effectiveKnobs } from '../../../protocol/index.ts';
import { fmtMs } from './format.ts';
import { formatKnob, KNOB_FIELDS, knobNote, parseKnobInput, type KnobKey } from './knob-form.ts';

const field = (key: KnobKey) => KNOB_FIELDS.find((f) => f.key === key)!;
const p2 = defaultKnobs('wasip2');

describe('knobs form', () => {
  it('has a field for every knob', () => {
    assert.deepEqual(KNOB_FIELDS.map((f) => f.key).sort(), Object.keys(p2).sort());
  });

  it('parses counts and reports the engine schema message', () => {
    const reuse = field('maxInstanceReuseCount');
    const ok = parseKnobInput(reuse, ' 128 ', p2);
    assert.deepEqual(ok.ok && ok.patch, { maxInstanceReuseCount: 128 });
    const zero = parseKnobInput(reuse, '0', p2);
    assert.equal(
      !zero.ok && zero.error,
      'max-instance-reuse-count must be at least 1 (0 would let no instance serve anything)',
    );
    const half = parseKnobInput(reuse, '1.5', p2);
    assert.equal(!half.ok && half.error, 'max-instance-reuse-count must be a whole number');
    const word = parseKnobInput(reuse, 'lots', p2);
    assert.equal(word.ok, false);
  });

  it('parses durations in wasmtime syntax and formats them back', () => {
    const idle = field('idleInstanceTimeoutMs');
    for (const [text, ms] of [
      ['100us', 0.1],
      ['40ms', 40],
      ['2s', 2000],
      ['3', 3000],
    ] as const) {
      const r = parseKnobInput(idle, text, p2);
      assert.ok(r.ok, text);
      assert.equal(r.knobs.idleInstanceTimeoutMs, ms);
      assert.equal(parseKnobInput(idle, formatKnob(idle, ms), p2).ok, true);
    }
    assert.equal(formatKnob(idle, 2000), '2s');
    assert.equal(formatKnob(idle, 0.1), '100us');
    const bad = parseKnobInput(idle, '2 minutes', p2);
    assert.match(!bad.ok ? bad.error : '', /^idle-instance-timeout: invalid duration '2 minutes'/);
    const zero = parseKnobInput(idle, '0ms', p2);
    assert.equal(!zero.ok && zero.error, 'idle-instance-timeout must be greater than zero');
  });

  it('an empty request timeout means none', () => {
    const timeout = field('requestTimeoutMs');
    const none = parseKnobInput(timeout, '', { ...p2, requestTimeoutMs: 200 });
    assert.ok(none.ok);
    assert.equal(none.knobs.requestTimeoutMs, null);
    assert.equal(formatKnob(timeout, null), '');
  });

  it('explains a knob the world clamps', () => {
    const requested = { ...p2, maxInstanceConcurrentReuseCount: 16 };
    const note = knobNote(
      field('maxInstanceConcurrentReuseCount'),
      requested,
      effectiveKnobs('wasip2', requested),
      'wasip2',
    );
    assert.equal(note, 'forced to 1 for WASIp2 (requested 16)');
    assert.equal(knobNote(field('maxInstanceReuseCount'), p2, p2, 'wasip2'), null);
    assert.equal(knobNote(field('maxInstanceConcurrentReuseCount'), p2, p2, 'wasip3'), null);
  });

  it('formats milliseconds compactly', () => {
    assert.equal(fmtMs(0.25), '250µs');
    assert.equal(fmtMs(4.26), '4.3ms');
    assert.equal(fmtMs(201.8), '202ms');
    assert.equal(fmtMs(1500), '1.50s');
    assert.equal(fmtMs(125_000), '2m05s');
  });
});
