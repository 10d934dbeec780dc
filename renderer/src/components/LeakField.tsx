import type { LeakDetectionSettings } from '../../../protocol/index.ts';
import type { LeakTextField } from '../model/leak-form.ts';
import { useAppliedField } from '../hooks/useAppliedField.ts';
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
  const { error, state, mark, inputProps } = useAppliedField({
    shown,
    check: (text) => {
      const parsed = field.parse(text, settings);
      return parsed.ok
        ? { ok: true, change: parsed.patch, unchanged: field.format(parsed.settings) === shown }
        : parsed;
    },
    apply: (patch) => setLeakDetection(patch),
    onError: (message) => onError(field.key, message),
  });

  const id = `leak-${field.key}`;
  return (
    <span
      className={`leak-field ${error ? 'leak-field-invalid' : ''} ${className ?? ''}`}
      data-testid={`leak-field-${field.key}`}
    >
      <label htmlFor={id} title={field.help}>
        {field.label}
      </label>
      <input
        id={id}
        className="input mono"
        {...inputProps}
        spellCheck={false}
        aria-invalid={error !== null}
        aria-describedby="leak-controls-msg"
      />
      <span className={`knob-state knob-state-${state}`} aria-live="polite">
        {mark}
      </span>
    </span>
  );
}
