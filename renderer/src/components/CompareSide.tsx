import { useRef, type ChangeEvent } from 'react';
import type { RunProfile } from '../compare/profile.ts';
import { fmtMs } from '../model/format.ts';
import { RECORDING_FILE_TYPES } from '../recording/format.ts';
import { useStore } from '../store/store.ts';

/** One run of the comparison: pick a recording file or the live run, and see what was picked. */
export function CompareSide({
  side,
  profile,
  error,
}: {
  side: 'a' | 'b';
  profile: RunProfile | null;
  error: string | null;
}) {
  const loadCompareFile = useStore((s) => s.loadCompareFile);
  const compareLive = useStore((s) => s.compareLive);
  const setUi = useStore((s) => s.setUi);
  const input = useRef<HTMLInputElement>(null);
  const name = side.toUpperCase();

  const onFile = async (e: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = e.target.files?.[0];
    e.target.value = ''; // the same file can be picked again
    if (!file) return;
    try {
      loadCompareFile(side, await file.text(), file.name, new Date(file.lastModified));
    } catch (err) {
      setUi({ notice: `Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}` });
    }
  };

  return (
    <fieldset className="compare-side" data-testid={`compare-side-${side}`} data-label={profile?.label ?? ''}>
      <legend>
        <span className={`compare-swatch ${side === 'b' ? 'compare-swatch-b' : ''}`} aria-hidden="true" />
        Run {name}
      </legend>
      <div className="compare-side-actions">
        <button
          type="button"
          className="btn btn-small"
          onClick={() => input.current?.click()}
          data-testid={`compare-open-${side}`}
        >
          Open recording for {name}…
        </button>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => compareLive(side)}
          title="The live run as recorded until now; press again to bring it up to date"
          data-testid={`compare-live-${side}`}
        >
          Use the live run for {name}
        </button>
        <input
          ref={input}
          type="file"
          accept={RECORDING_FILE_TYPES}
          hidden
          onChange={(e) => void onFile(e)}
          data-testid={`compare-file-${side}`}
        />
      </div>
      {profile ? (
        <div className="compare-side-info">
          <div>
            <b className="mono">{profile.label}</b> · {profile.component?.name ?? 'component unknown'} ·{' '}
            {fmtMs(profile.summary.durationSec * 1000)} · {profile.summary.completed} requests completed
          </div>
          {profile.knobsChanged && (
            <div className="compare-note">The knobs changed during this run: the table shows those at its end.</div>
          )}
          {profile.truncated && <div className="compare-note">The recording was full and stopped early.</div>}
          {profile.cut && (
            <div className="compare-note">The charts show its first hour (the summary covers all of it).</div>
          )}
        </div>
      ) : (
        <div className="dim">No run picked.</div>
      )}
      {error && (
        <div className="compare-error" role="alert" data-testid={`compare-error-${side}`}>
          {error}
        </div>
      )}
    </fieldset>
  );
}
