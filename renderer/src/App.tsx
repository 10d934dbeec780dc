import { useState } from 'react';
import { useApplyTheme } from './hooks/useTheme.ts';
import { useStore } from './store/store.ts';
import { ChartsPanel } from './components/ChartsPanel.tsx';
import { CompareView } from './components/CompareView.tsx';
import { ConnectionBanner } from './components/ConnectionBanner.tsx';
import { FailedPanel } from './components/FailedPanel.tsx';
import { Header } from './components/Header.tsx';
import { KnobsPanel } from './components/KnobsPanel.tsx';
import { LoadPanel } from './components/LoadPanel.tsx';
import { LogTabs } from './components/LogTabs.tsx';
import { ScenarioBanner } from './components/ScenarioBanner.tsx';
import { ScenarioPanel } from './components/ScenarioPanel.tsx';
import { SkipLink } from './components/SkipLink.tsx';
import { ReplayBar } from './components/ReplayBar.tsx';
import { RequestPanel } from './components/RequestPanel.tsx';
import { Timeline } from './components/Timeline.tsx';
import { WorkersPanel } from './components/WorkersPanel.tsx';

function Notice() {
  const notice = useStore((s) => s.ui.notice);
  const setUi = useStore((s) => s.setUi);
  if (!notice) return null;
  return (
    <div className="notice" role="alert" data-testid="notice">
      <span>{notice}</span>
      <button type="button" className="btn btn-icon" aria-label="Dismiss" onClick={() => setUi({ notice: null })}>
        ✕
      </button>
    </div>
  );
}

/** What the engine says went wrong (a component that failed to load, an error in the desktop app); dismissable. */
function EngineProblemNotice() {
  const problem = useStore((s) => s.pool.problem);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  if (!problem || problem.t === dismissedAt) return null;
  return (
    <div className="notice" role="alert" data-testid="engine-problem">
      <span>Engine: {problem.message}</span>
      <button type="button" className="btn btn-icon" aria-label="Dismiss" onClick={() => setDismissedAt(problem.t)}>
        ✕
      </button>
    </div>
  );
}

export function App() {
  useApplyTheme();
  const ready = useStore((s) => s.pool.ready);
  const replaying = useStore((s) => s.replay !== null);
  return (
    <div className="app" data-ready={ready} data-replaying={replaying}>
      <SkipLink target="live-views" testId="skip-to-views">
        Skip to the live views
      </SkipLink>
      <Header />
      <ConnectionBanner />
      <ReplayBar />
      <CompareView />
      <Notice />
      <EngineProblemNotice />
      <ScenarioBanner />
      <div className="layout">
        <aside className="sidebar">
          <KnobsPanel />
          <LoadPanel />
          <ScenarioPanel />
          <FailedPanel />
        </aside>
        <main className="content skip-target" id="live-views" tabIndex={-1}>
          <ChartsPanel />
          <Timeline />
          <div className="bottom">
            <WorkersPanel />
            <LogTabs />
          </div>
        </main>
      </div>
      <RequestPanel />
    </div>
  );
}
