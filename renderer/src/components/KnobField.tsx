import { useEffect, useState, type KeyboardEvent } from 'react';
import type { PoolKnobs } from '../../../engine/protocol/index.ts';
import { formatKnob, knobNote, parseKnobInput, type KnobField as Field } from '../store/knob-form.ts';
import { useStore } from '../store/store.ts';

interface Props {
  field: Field;
  requested: PoolKnobs;
  effective: PoolKnobs;
  world: 'wasip2' | 'wasip3' | null;
  newInstancesOnly: boolean;
}

/** One knob: edit, validate inline with the protocol schema, apply on Enter or blur. */
export function KnobField({ field, requested, effective, world, newInstancesOnly }: Props) {
  const setKnobs = useStore((s) => s.setKnobs);
  const shown = formatKnob(field, requested[field.key]);
  const [text, setText] = useState(shown);
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'applying' | 'applied'>('idle');

  // Follow changes made elsewhere (another dashboard, a reconnect) while not being edited.
  useEffect(() => {
    if (!dirty) setText(shown);
  }, [shown, dirty]);

  const check = (value: string) => parseKnobInput(field, value, requested);
  const onChange = (value: string): void => {
    setText(value);
    setDirty(true);
    const parsed = check(value);
    setError(parsed.ok ? null : parsed.error);
  };
  const apply = async (): Promise<void> => {
    if (!dirty) return;
    const parsed = check(text);
    if (!parsed.ok) return setError(parsed.error);
    if (formatKnob(field, parsed.knobs[field.key]) === shown) {
      setDirty(false);
      setText(shown);
      return;
    }
    setState('applying');
    const result = await setKnobs(parsed.patch, parsed.knobs);
    if (result.ok) {
      setDirty(false);
      setError(null);
      setState('applied');
      setTimeout(() => setState('idle'), 1200);
    } else {
      setError(result.error);
      setState('idle');
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter') void apply();
    if (e.key === 'Escape') {
      setText(shown);
      setDirty(false);
      setError(null);
    }
  };

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
          value={text}
          placeholder={field.kind === 'optional-duration' ? 'none' : ''}
          spellCheck={false}
          aria-invalid={error !== null}
          aria-describedby={`${id}-msg`}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={() => void apply()}
        />
        <span className={`knob-state knob-state-${state}`} aria-live="polite">
          {state === 'applying' ? '…' : state === 'applied' ? '✓' : dirty && !error ? '↵' : ''}
        </span>
      </div>
      <div id={`${id}-msg`} className={error ? 'knob-error' : 'knob-note'} data-testid={error ? 'knob-error' : undefined} role={error ? 'alert' : undefined}>
        {error ?? note ?? (newInstancesOnly ? 'applies to new instances' : field.flag)}
      </div>
    </div>
  );
}
