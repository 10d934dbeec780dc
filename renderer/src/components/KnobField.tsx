import type { PoolKnobs } from '../../../protocol/index.ts';
import { formatKnob, knobNote, parseKnobInput, type KnobField as Field } from '../model/knob-form.ts';
import { useAppliedField } from '../hooks/useAppliedField.ts';
import { useStore } from '../store/store.ts';

interface Props {
  field: Field;
  requested: PoolKnobs;
  effective: PoolKnobs;
  world: 'wasip2' | 'wasip3' | null;
}

/** One knob: edit, validate inline with the protocol schema, apply on Enter or blur. */
export function KnobField({ field, requested, effective, world }: Props) {
  const setKnobs = useStore((s) => s.setKnobs);
  const shown = formatKnob(field, requested[field.key]);
  const { error, state, mark, inputProps } = useAppliedField({
    shown,
    check: (text) => {
      const parsed = parseKnobInput(field, text, requested);
      return parsed.ok
        ? { ok: true, change: parsed, unchanged: formatKnob(field, parsed.knobs[field.key]) === shown }
        : parsed;
    },
    apply: (parsed) => setKnobs(parsed.patch),
  });

  const note = knobNote(field, requested, effective, world);
  const id = `knob-${field.key}`;
  return (
    <div className={`knob ${error ? 'knob-invalid' : ''}`} data-testid={`knob-${field.key}`}>
      <label className="knob-label" htmlFor={id} title={`${field.flag}\n${field.help}`}>
        {field.label}
      </label>
      <div className="knob-control">
        <input
          id={id}
          className="input mono"
          {...inputProps}
          placeholder={field.kind === 'optional-duration' ? 'none' : ''}
          spellCheck={false}
          aria-invalid={error !== null}
          aria-describedby={`${id}-msg`}
        />
        <span className={`knob-state knob-state-${state}`} aria-live="polite">
          {mark}
        </span>
      </div>
      <div
        id={`${id}-msg`}
        className={error ? 'knob-error' : 'knob-note'}
        data-testid={error ? 'knob-error' : undefined}
        role={error ? 'alert' : undefined}
      >
        {error ?? note ?? field.flag}
      </div>
    </div>
  );
}
