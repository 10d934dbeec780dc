import { useCallback, useState } from 'react';
import type { LeakDetectionMode, LeakDetectionPatch, LeakDetectionSettings } from '../../../protocol/index.ts';
import {
  IGNORED_HEADERS,
  MAX_QUEUED,
  MAX_REPLAYS,
  REPLAY_RATE,
  SAMPLE_RATE,
  type LeakTextField,
} from '../model/leak-form.ts';
import { useStore } from '../store/store.ts';
import { EngineControls } from './EngineControls.tsx';
import { LeakField } from './LeakField.tsx';
import { Segmented } from './Segmented.tsx';

const MODES: Array<{ mode: LeakDetectionMode; label: string; help: string }> = [
  { mode: 'off', label: 'off', help: 'Replay nothing.' },
  { mode: 'sample', label: 'sample', help: "Replay a fraction (the sample rate) of reused instances' answers." },
  { mode: 'all', label: 'all', help: "Replay every reused instance's answer on a fresh instance." },
];

type Errors = Partial<Record<LeakTextField['key'] | 'mode' | 'replayUnsafeMethods', string>>;

/** The leak detector's settings, sent with `setLeakDetection` (buttons at once, text fields on Enter or blur). */
export function LeakControls({ settings }: { settings: LeakDetectionSettings }) {
  const setLeakDetection = useStore((s) => s.setLeakDetection);
  const [errors, setErrors] = useState<Errors>({});
  const [pending, setPending] = useState(false);
  const onError = useCallback((key: keyof Errors, error: string | null) => {
    setErrors((e) => {
      if ((e[key] ?? null) === error) return e;
      const next = { ...e };
      if (error === null) delete next[key];
      else next[key] = error;
      return next;
    });
  }, []);
  const send = async (key: 'mode' | 'replayUnsafeMethods', patch: LeakDetectionPatch): Promise<void> => {
    setPending(true);
    const result = await setLeakDetection(patch);
    setPending(false);
    onError(key, result.ok ? null : result.error);
  };

  const error = Object.values(errors)[0] ?? null;
  return (
    <EngineControls>
      <div
        className="leak-controls"
        data-testid="leak-controls"
        data-mode={settings.mode}
        data-sample-rate={settings.sampleRate}
      >
        <div className="leak-row">
          <span className="leak-label">Mode</span>
          <Segmented
            label="Leak detection mode"
            options={MODES.map((m) => ({
              value: m.mode,
              label: m.label,
              title: m.help,
              testId: `leak-mode-${m.mode}`,
            }))}
            value={settings.mode}
            disabled={pending}
            onChange={(mode) => void send('mode', { mode })}
          />
          <LeakField
            field={SAMPLE_RATE}
            settings={settings}
            className={`leak-field-short ${settings.mode === 'sample' ? '' : 'leak-field-idle'}`}
            onError={onError}
          />
        </div>
        <div className="leak-row">
          <LeakField field={MAX_REPLAYS} settings={settings} className="leak-field-tiny" onError={onError} />
          <LeakField field={MAX_QUEUED} settings={settings} className="leak-field-tiny" onError={onError} />
          <LeakField field={REPLAY_RATE} settings={settings} className="leak-field-tiny" onError={onError} />
        </div>
        <div className="leak-row">
          <LeakField field={IGNORED_HEADERS} settings={settings} className="leak-field-wide" onError={onError} />
        </div>
        <label
          className="leak-row leak-check"
          title="Methods other than GET, HEAD and OPTIONS may have side effects: replaying them repeats those."
        >
          <input
            type="checkbox"
            checked={settings.replayUnsafeMethods}
            disabled={pending}
            data-testid="leak-unsafe-methods"
            onChange={(e) => void send('replayUnsafeMethods', { replayUnsafeMethods: e.target.checked })}
          />
          replay unsafe methods too (POST, PUT, DELETE…)
        </label>
        <div
          id="leak-controls-msg"
          className={error ? 'knob-error' : 'knob-note'}
          data-testid={error ? 'leak-error' : undefined}
          role={error ? 'alert' : undefined}
        >
          {error ?? 'Answers from reused instances are replayed on a fresh instance and compared.'}
        </div>
      </div>
    </EngineControls>
  );
}
