import { useEffect, useState, type KeyboardEvent } from 'react';
import type { LeakDetectionSettings } from '../../../engine/protocol/index.ts';
import type { LeakTextField } from '../store/leak-form.ts';
import { useStore } from '../store/store.ts';

interface Props {
  field: LeakTextField;
  settings: LeakDetectionSettings;
  className?: string;
  /** The field's error (inline or the engine's), shown by the form in one message line. */
  onError(key: LeakTextField['key'], error: string | null): void;
}

/** One leak-detection setting as text: validated inline with the protocol schema, applied on Enter or blur (as KnobField). */
export function LeakField({ field, settings, className, onError }: Props) {
  const setLeakDetection = useStore((s) => s.setLeakDetection);
  const shown = field.format(settings);
  const [text, setText] = useState(shown);
  const [dirty, setDirty] = useState(false);
  const [error, setErrorState] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'applying' | 'applied'>('idle');
  const setError = (message: string | null): void => {
    setErrorState(message);
    onError(field.key, message);
  };

  // Follow changes made elsewhere (another dashboard, the CLI flags) while not being edited.
  useEffect(() => {
    if (!dirty) setText(shown);
  }, [shown, dirty]);

  const onChange = (value: string): void => {
    setText(value);
    setDirty(true);
    const parsed = field.parse(value, settings);
    setError(parsed.ok ? null : parsed.error);
  };
  const reset = (): void => {
    setText(shown);
    setDirty(false);
    setError(null);
  };
  const apply = async (): Promise<void> => {
    if (!dirty) return;
    const parsed = field.parse(text, settings);
    if (!parsed.ok) return setError(parsed.error);
    if (field.format(parsed.settings) === shown) return reset();
    setState('applying');
    const result = await setLeakDetection(parsed.patch);
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
    if (e.key === 'Escape') reset();
  };

  const id = `leak-${field.key}`;
  return (
    <span className={`leak-field ${error ? 'leak-field-invalid' : ''} ${className ?? ''}`} data-testid={`leak-field-${field.key}`}>
      <label htmlFor={id} title={field.help}>
        {field.label}
      </label>
      <input
        id={id}
        className="input mono"
        value={text}
        spellCheck={false}
        aria-invalid={error !== null}
        aria-describedby="leak-controls-msg"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => void apply()}
      />
      <span className={`knob-state knob-state-${state}`} aria-live="polite">
        {state === 'applying' ? '…' : state === 'applied' ? '✓' : dirty && !error ? '↵' : ''}
      </span>
    </span>
  );
}
