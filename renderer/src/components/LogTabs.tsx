import type { ReactNode } from 'react';
import { useStore } from '../store/store.ts';
import { EventLog } from './EventLog.tsx';
import { LeaksPanel } from './LeaksPanel.tsx';

/**
 * The event log and the Leaks panel share one column, as tabs. The log stays mounted while
 * hidden so its pause and scroll position survive a look at the leaks.
 */
export function LogTabs() {
  const tab = useStore((s) => s.leakView.tab);
  const found = useStore((s) => s.leaks.leaks);
  const growing = useStore((s) => s.leaks.growth.size);
  const showLeakView = useStore((s) => s.showLeakView);
  const tabButton = (name: 'events' | 'leaks', label: ReactNode) => (
    <button
      type="button"
      role="tab"
      id={`tab-${name}`}
      aria-selected={tab === name}
      aria-controls={`tabpanel-${name}`}
      className={`tab ${tab === name ? 'on' : ''}`}
      data-testid={`tab-${name}`}
      onClick={() => showLeakView({ tab: name })}
    >
      {label}
    </button>
  );
  return (
    <div className="tabbed">
      <div className="tab-strip" role="tablist" aria-label="Events and leaks">
        {tabButton('events', 'Events')}
        {tabButton(
          'leaks',
          <>
            Leaks
            {found > 0 && (
              <span className="tab-count tab-count-warn" data-testid="tab-leaks-count">
                ⚠ {found}
              </span>
            )}
            {growing > 0 && (
              <span className="tab-count tab-count-warn" title="Instances whose memory keeps growing">
                mem {growing}
              </span>
            )}
          </>,
        )}
      </div>
      <div
        className="tab-body"
        role="tabpanel"
        id="tabpanel-events"
        aria-labelledby="tab-events"
        hidden={tab !== 'events'}
      >
        <EventLog />
      </div>
      <div
        className="tab-body"
        role="tabpanel"
        id="tabpanel-leaks"
        aria-labelledby="tab-leaks"
        hidden={tab !== 'leaks'}
      >
        {tab === 'leaks' && <LeaksPanel />}
      </div>
    </div>
  );
}
