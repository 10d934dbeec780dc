import { useState } from 'react';
import { useStore } from '../store/store.ts';
import { Panel } from './Panel.tsx';
import { EngineControls } from './EngineControls.tsx';

/** The built-in teaching scenarios: pick one and it drives the dashboard itself. */
export function ScenarioPanel() {
  const available = useStore((s) => s.scenario.available);
  const current = useStore((s) => s.scenario.current);
  const runScenario = useStore((s) => s.runScenario);
  const [quick, setQuick] = useState(false);
  const running = current?.state === 'running';
  return (
    <Panel title="Scenarios" testId="scenario-panel" meta={running ? 'running' : `${available.length}`}>
      <EngineControls>
        <ul className="scenario-list">
          {available.map((scenario) => (
            <li key={scenario.name} className="scenario-item" data-testid={`scenario-${scenario.name}`}>
              <div className="scenario-text">
                <span className="scenario-title">{scenario.title}</span>
                <span className="scenario-summary">{scenario.summary}</span>
              </div>
              <button
                type="button"
                className="btn btn-small"
                disabled={running}
                title={running ? 'A scenario is running' : `Run: ${scenario.steps} steps`}
                // Five buttons read "Run": the name says which scenario each one runs.
                aria-label={`Run ${scenario.title}`}
                onClick={() => void runScenario(scenario.name, quick)}
                data-testid={`run-scenario-${scenario.name}`}
              >
                Run
              </button>
            </li>
          ))}
        </ul>
        <label className="scenario-quick">
          <input
            type="checkbox"
            checked={quick}
            onChange={(e) => setQuick(e.target.checked)}
            data-testid="scenario-quick"
          />
          Quick run (short phases, for a preview)
        </label>
      </EngineControls>
    </Panel>
  );
}
