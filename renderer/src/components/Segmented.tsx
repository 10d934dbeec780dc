import type { ReactNode } from 'react';

export interface SegmentedOption<T> {
  value: T;
  label: ReactNode;
  title?: string;
  testId?: string;
}

/** A row of buttons of which one is on (chart and timeline windows, replay speed, leak mode). */
export function Segmented<T extends string | number>({
  label,
  options,
  value,
  onChange,
  disabled = false,
}: {
  label: string;
  options: ReadonlyArray<SegmentedOption<T>>;
  value: T;
  onChange(value: T): void;
  disabled?: boolean;
}) {
  return (
    <div className="segmented" role="group" aria-label={label}>
      {options.map((option) => (
        <button
          key={String(option.value)}
          type="button"
          className={option.value === value ? 'on' : ''}
          aria-pressed={option.value === value}
          title={option.title}
          disabled={disabled}
          data-testid={option.testId}
          onClick={() => option.value !== value && onChange(option.value)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}

/** Window lengths in seconds, as options: `30s`, `60s`, … */
export function secondsOptions(values: readonly number[]): Array<SegmentedOption<number>> {
  return values.map((value) => ({ value, label: `${value}s` }));
}
