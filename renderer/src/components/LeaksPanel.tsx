import { useMemo } from 'react';
import { memoryGrowthRate, memoryGrowthSpan } from '../../../base/memory-growth.ts';
import { entriesOf } from '../model/entries.ts';
import { coverageText, findingsFor, leakCoverage, SKIP_LABELS } from '../model/leaks.ts';
import { useStore } from '../store/store.ts';
import type { LeaksState } from '../model/types.ts';
import { LeakControls } from './LeakControls.tsx';
import { LeakDiff } from './LeakDiff.tsx';
import { LeakFindings } from './LeakFindings.tsx';
import { Panel } from './Panel.tsx';

/** What the replays said, as chips. */
function Counters({ leaks }: { leaks: LeaksState }) {
  const skipped = entriesOf(leaks.skipped)
    .map(([reason, n]) => `${n} ${SKIP_LABELS[reason]}`)
    .join(', ');
  const chip = (name: string, label: string, value: number, className = '', title?: string) => (
    <span
      className={`chip ${value > 0 ? className : ''}`}
      data-testid={`leak-count-${name}`}
      data-value={value}
      title={title}
    >
      {label} <b>{value}</b>
    </span>
  );
  return (
    <div className="kind-chips leak-counters">
      {chip('checked', 'checked', leaks.checked, '', 'Reused answers replayed on a fresh instance and compared')}
      {chip('same', 'same', leaks.same, 'chip-same')}
      {chip('leaks', 'leaks', leaks.leaks, 'chip-leak')}
      {leaks.failedOnReuse > 0 &&
        chip(
          'failed-on-reuse',
          'failed on reuse',
          leaks.failedOnReuse,
          'chip-leak',
          'Of the leaks: reused instances that failed (5xx, trap, cut-off body) where a fresh instance answered',
        )}
      {chip(
        'errors',
        'errors',
        leaks.errors,
        'chip-fail-timeout',
        leaks.lastError ? `last: request #${leaks.lastError.requestId}: ${leaks.lastError.message}` : undefined,
      )}
      {chip(
        'skipped',
        'skipped',
        leaks.skippedTotal,
        '',
        skipped ? `Not replayed: ${skipped}` : 'Sampled answers not replayed',
      )}
    </div>
  );
}

/** "checked N of M reused answers (K skipped: reason, …)": what the counts above cover, in words. */
function Coverage({ leaks }: { leaks: LeaksState }) {
  const coverage = leakCoverage(leaks);
  if (coverage.of === 0) return null;
  return (
    <p
      className={`leak-coverage ${coverage.skipped > 0 ? 'leak-coverage-partial' : ''}`}
      data-testid="leak-coverage"
      data-checked={coverage.checked}
      data-of={coverage.of}
      data-skipped={coverage.skipped}
      data-pending={coverage.pending}
      aria-live="polite"
    >
      {coverageText(coverage, leaks.settings?.mode ?? null)}
    </p>
  );
}

/** The Leaks tab: the detector's controls, its counts, memory-growth warnings and the findings (or one finding's diff). */
export function LeaksPanel() {
  const leaks = useStore((s) => s.leaks);
  const view = useStore((s) => s.leakView);
  const showLeakView = useStore((s) => s.showLeakView);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const findings = useMemo(() => findingsFor(leaks, view.instanceId), [leaks, view.instanceId]);
  const open = view.requestId !== null ? (leaks.byRequest.get(view.requestId) ?? null) : null;
  const growth = useMemo(() => [...leaks.growth.values()].reverse(), [leaks.growth]);

  const actions =
    view.instanceId !== null ? (
      <span className="chip chip-toggle on" data-testid="leak-filter" data-instance-id={view.instanceId}>
        instance #{view.instanceId}
        <button
          type="button"
          className="link"
          aria-label="Show every instance's findings"
          onClick={() => showLeakView({ instanceId: null, requestId: null })}
        >
          ✕
        </button>
      </span>
    ) : null;

  return (
    <Panel
      title="Leak detection"
      meta={
        <span className={leaks.leaks ? 'leak-meta-found' : ''}>
          {leaks.leaks} found · {leaks.checked} checked
        </span>
      }
      actions={actions}
      className="leaks-panel"
      testId="leaks-panel"
    >
      {leaks.settings ? <LeakControls settings={leaks.settings} /> : <p className="empty">Waiting for the engine…</p>}
      <Counters leaks={leaks} />
      <Coverage leaks={leaks} />
      {growth.length > 0 && (
        <ul className="growth-list" aria-label="Memory growth warnings">
          {growth.map((w) => (
            <li
              key={w.instanceId}
              className="growth-row"
              data-testid="memory-growth-warning"
              data-instance-id={w.instanceId}
            >
              <span className="chip chip-growth">⚠ memory</span>
              <button
                type="button"
                className="link mono"
                onClick={() => setLogFilter({ instanceId: w.instanceId, requestId: null })}
                title="Filter the event log by this instance"
              >
                #{w.instanceId}
              </button>
              <span>
                grows <b>{memoryGrowthRate(w)}</b> <span className="dim">({memoryGrowthSpan(w)})</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {open ? (
        <LeakDiff finding={open} onClose={() => showLeakView({ requestId: null })} />
      ) : findings.length > 0 ? (
        <LeakFindings findings={findings} onOpen={(requestId) => showLeakView({ requestId })} />
      ) : (
        <p className="empty" data-testid="leak-findings-empty">
          {view.instanceId !== null
            ? `No findings for instance #${view.instanceId}${leaks.findings.length ? ' (other instances have some)' : ''}.`
            : leaks.settings?.mode === 'off'
              ? 'Leak detection is off. Turn it on to replay reused instances’ answers on fresh instances and compare them.'
              : 'No leaks found yet. Only answers from reused instances (their 2nd request on) are replayed.'}
        </p>
      )}
    </Panel>
  );
}
