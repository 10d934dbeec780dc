import { useApplyTheme } from './hooks/useTheme.ts';
import { useStore } from './store/store.ts';
import { ChartsPanel } from './components/ChartsPanel.tsx';
import { EventLog } from './components/EventLog.tsx';
import { FailedPanel } from './components/FailedPanel.tsx';
import { Header } from './components/Header.tsx';
import { KnobsPanel } from './components/KnobsPanel.tsx';
import { LoadPanel } from './components/LoadPanel.tsx';
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

export function App() {
  useApplyTheme();
  const ready = useStore((s) => s.pool.ready);
  return (
    <div className="app" data-ready={ready}>
      <Header />
      <Notice />
      <div className="layout">
        <aside className="sidebar">
          <KnobsPanel />
          <LoadPanel />
          <FailedPanel />
        </aside>
        <main className="content">
          <ChartsPanel />
          <Timeline />
          <div className="bottom">
            <WorkersPanel />
            <EventLog />
          </div>
        </main>
      </div>
    </div>
  );
}
