import { useState } from 'react';
import type { ScenarioProgress } from '../../../protocol/index.ts';
import { comparisonRows } from '../model/scenario.ts';
import { useStore } from '../store/store.ts';

const STATE_LABELS: Record<ScenarioProgress['state'], string> = {
  running: 'running',
  finished: 'finished',
  failed: 'failed',
  stopped: 'stopped',
};

/** The running scenario's caption over the views it talks about, then its phases side by side. */
export function ScenarioBanner() {
  const current = useStore((s) => s.scenario.current);
  const stopScenario = useStore((s) => s.stopScenario);
  const [dismissedRun, setDismissedRun] = useState<number | null>(null);
  if (!current || dismissedRun === current.runId) return null;
  const running = current.state === 'running';
  const rows = comparisonRows(current.results);
  return (
    <section
      className="scenario-banner"
      data-testid="scenario-banner"
      data-state={current.state}
      data-step={current.step}
      aria-live="polite"
    >
      <header className="scenario-head">
        <span className="scenario-name">{current.title}</span>
        <span className="scenario-steps" aria-label={`Step ${current.step + 1} of ${current.steps}`}>
          {Array.from({ length: current.steps }, (_, i) => (
            <span
              key={i}
              className={`scenario-dot ${i < current.step || !running ? 'done' : i === current.step ? 'now' : ''}`}
            />
          ))}
        </span>
        <span className="muted">
          step {current.step + 1} of {current.steps}
          {running ? '' : ` · ${STATE_LABELS[current.state]}`}
          {current.quick ? ' · quick run' : ''}
        </span>
        <span className="scenario-actions">
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
              aria-label="Close"
              onClick={() => setDismissedRun(current.runId)}
            >
              ✕
            </button>
          )}
        </span>
      </header>
      <p className="scenario-caption" data-testid="scenario-caption">
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
    </section>
  );
}
