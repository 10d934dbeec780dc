import { useEffect, useState, type KeyboardEvent } from 'react';
import type { CommandResult } from '../store/shape.ts';

export type ApplyState = 'idle' | 'applying' | 'applied';

/** How a field's text becomes a change: `check` validates inline, `apply` sends it. */
export interface AppliedFieldSpec<P> {
  /** The value in force, as text. */
  shown: string;
  /** Validates the text; `unchanged` when it says what is already in force. */
  check(text: string): { ok: true; change: P; unchanged: boolean } | { ok: false; error: string };
  apply(change: P): Promise<CommandResult>;
  /** Told about every error shown (inline or the engine's), for forms that show them elsewhere. */
  onError?(error: string | null): void;
}

/**
 * A text field that is validated as it is typed and applied on Enter or blur (Escape undoes):
 * the knobs and the leak-detection settings both edit this way. While not being edited it follows
 * the value in force, which another dashboard or the CLI may change.
 */
export function useAppliedField<P>(spec: AppliedFieldSpec<P>) {
  const { shown } = spec;
  const [text, setText] = useState(shown);
  const [dirty, setDirty] = useState(false);
  const [error, setErrorState] = useState<string | null>(null);
  const [state, setState] = useState<ApplyState>('idle');
  const setError = (message: string | null): void => {
    setErrorState(message);
    spec.onError?.(message);
  };

  useEffect(() => {
    if (!dirty) setText(shown);
  }, [shown, dirty]);

  const reset = (): void => {
    setText(shown);
    setDirty(false);
    setError(null);
  };
  const onChange = (value: string): void => {
    setText(value);
    setDirty(true);
    const checked = spec.check(value);
    setError(checked.ok ? null : checked.error);
  };
  const apply = async (): Promise<void> => {
    if (!dirty) return;
    const checked = spec.check(text);
    if (!checked.ok) return setError(checked.error);
    if (checked.unchanged) return reset();
    setState('applying');
    const result = await spec.apply(checked.change);
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
  /** The mark beside the field: applying, applied, or "press Enter". */
  const mark = state === 'applying' ? '…' : state === 'applied' ? '✓' : dirty && !error ? '↵' : '';
  return {
    text,
    error,
    state,
    mark,
    inputProps: {
      value: text,
      onChange: (e: { target: { value: string } }) => onChange(e.target.value),
      onKeyDown,
      onBlur: () => void apply(),
    },
  };
}
