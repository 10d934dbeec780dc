import { useState } from 'react';
import type { ScenarioProgress } from '../../../protocol/index.ts';
import { type BannerChoice, bannerExpanded, comparisonRows, userWorkKey } from '../model/scenario.ts';
import { useStore } from '../store/store.ts';

const STATE_LABELS: Record<ScenarioProgress['state'], string> = {
  running: 'running',
  finished: 'finished',
  failed: 'failed',
  stopped: 'stopped',
};

const DETAILS_ID = 'scenario-details';

/** What the user has set up or started: a change after the run ended folds the banner (see `bannerExpanded`). */
function useWorkKey(): string {
  const poolId = useStore((s) => s.pool.poolId);
  const component = useStore((s) => s.pool.component?.spec ?? null);
  const serving = useStore((s) => s.pool.serving);
  const knobs = useStore((s) => s.pool.knobs);
  const leakDetection = useStore((s) => s.leaks.settings);
  const loadRunId = useStore((s) => s.load.progress?.runId ?? null);
  return userWorkKey({ poolId, component, serving, knobs, leakDetection, loadRunId });
}

/**
 * The running scenario's caption over the views it talks about, then its phases side by side.
 * Once the run is over and the user works on something else it folds to one line (the user can
 * unfold or fold it with the button, and close it).
 */
export function ScenarioBanner() {
  const current = useStore((s) => s.scenario.current);
  const stopScenario = useStore((s) => s.stopScenario);
  const nowKey = useWorkKey();
  const [dismissedRun, setDismissedRun] = useState<number | null>(null);
  const [ended, setEnded] = useState<{ runId: number; key: string } | null>(null);
  const [choice, setChoice] = useState<BannerChoice | null>(null);
  if (!current || dismissedRun === current.runId) return null;
  const running = current.state === 'running';
  // The work when this page first saw the run over: what counts as "since" (set during render, as derived state).
  const endKey = running ? null : ended?.runId === current.runId ? ended.key : nowKey;
  if (!running && ended?.runId !== current.runId) setEnded({ runId: current.runId, key: nowKey });
  const expanded = bannerExpanded({ current, endKey, nowKey, choice });
  const rows = comparisonRows(current.results);
  return (
    <section
      className="scenario-banner"
      data-testid="scenario-banner"
      data-state={current.state}
      data-step={current.step}
      data-expanded={expanded}
      aria-label={`Scenario: ${current.title}`}
    >
      <header className="scenario-head">
        <span className="scenario-name">{current.title}</span>
        <span className="scenario-steps" role="img" aria-label={`Step ${current.step + 1} of ${current.steps}`}>
          {Array.from({ length: current.steps }, (_, i) => (
            <span
              key={i}
              className={`scenario-dot ${i < current.step || !running ? 'done' : i === current.step ? 'now' : ''}`}
            />
          ))}
        </span>
        <span className="muted scenario-status">
          step {current.step + 1} of {current.steps}
          {running ? '' : ` · ${STATE_LABELS[current.state]}`}
          {current.quick ? ' · quick run' : ''}
        </span>
        {!expanded && (
          // The caption on the same line, cut to fit: the whole of it is one click away.
          <span className="scenario-line" data-testid="scenario-caption" title={current.caption}>
            {current.caption}
          </span>
        )}
        <span className="scenario-actions">
          <button
            type="button"
            className="btn btn-small btn-quiet"
            aria-expanded={expanded}
            aria-controls={expanded ? DETAILS_ID : undefined}
            onClick={() => setChoice({ runId: current.runId, key: nowKey, expanded: !expanded })}
            data-testid="scenario-expand"
          >
            {expanded ? 'Fold' : running ? 'Show caption' : 'Show results'}
          </button>
          {running ? (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => void stopScenario()}
              data-testid="stop-scenario"
            >
              Stop
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-icon"
              aria-label="Close the scenario's results"
              onClick={() => setDismissedRun(current.runId)}
              data-testid="scenario-close"
            >
              ✕
            </button>
          )}
        </span>
      </header>
      {expanded && (
        <div className="scenario-details" id={DETAILS_ID}>
          {/* Read out as each step's caption arrives. */}
          <p className="scenario-caption" data-testid="scenario-caption" aria-live="polite">
            {current.caption}
          </p>
          {current.error && (
            <p className="form-error" role="alert">
              {current.error}
            </p>
          )}
          {rows.length > 0 && current.results.length > 0 && (
            <table className="scenario-results" data-testid="scenario-results">
              <thead>
                <tr>
                  <th />
                  {current.results.map((r) => (
                    <th key={r.label} scope="col">
                      {r.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.label} data-row={row.label}>
                    <th scope="row">{row.label}</th>
                    {row.values.map((value, i) => (
                      <td key={i} className="mono">
                        {value}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
