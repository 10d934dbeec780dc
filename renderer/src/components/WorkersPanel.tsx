import { useCallback, useMemo } from 'react';
import { useEngineNow } from '../hooks/useNow.ts';
import { instanceRows, nextSort, sortRows, type InstanceColumn } from '../model/instance-table.ts';
import { liveInstances } from '../model/instances.ts';
import { useStore } from '../store/store.ts';
import type { UiState } from '../store/shape.ts';
import { CardGrid, RetiredList } from './InstanceCards.tsx';
import { InstanceTable } from './InstanceTable.tsx';
import { Panel } from './Panel.tsx';
import { Segmented } from './Segmented.tsx';

const RETIRED_SHOWN = 100;
const VIEWS: Array<{ value: UiState['instancesView']; label: string; title: string; testId: string }> = [
  {
    value: 'cards',
    label: 'cards',
    title: 'One card per instance, with its memory curve and output',
    testId: 'instances-view-cards',
  },
  {
    value: 'table',
    label: 'table',
    title: 'One compact row per instance, sortable by any column',
    testId: 'instances-view-table',
  },
];

export function WorkersPanel() {
  const instances = useStore((s) => s.instances);
  const knobs = useStore((s) => s.pool.knobs);
  const memoryLimitBytes = useStore((s) => s.pool.component?.maxMemoryBytes ?? null);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const leaks = useStore((s) => s.leaks);
  const showLeakView = useStore((s) => s.showLeakView);
  const view = useStore((s) => s.ui.instancesView);
  const sort = useStore((s) => s.ui.instanceSort);
  const withRetired = useStore((s) => s.ui.instanceTableRetired);
  const selectedId = useStore((s) => s.ui.logFilter.instanceId);
  const setUi = useStore((s) => s.setUi);
  const now = useEngineNow(1000);
  const live = useMemo(() => liveInstances(instances), [instances]);
  const onSelect = useCallback((instanceId: number) => setLogFilter({ instanceId, requestId: null }), [setLogFilter]);
  const onShowLeaks = useCallback(
    (instanceId: number) => showLeakView({ tab: 'leaks', instanceId, requestId: null }),
    [showLeakView],
  );
  const onSort = useCallback(
    (column: InstanceColumn) => setUi({ instanceSort: nextSort(sort, column) }),
    [setUi, sort],
  );
  const rows = useMemo(
    () =>
      view === 'table'
        ? sortRows(instanceRows(live, withRetired ? instances.retired : null, leaks, now, knobs), sort)
        : [],
    [view, live, withRetired, instances.retired, leaks, now, knobs, sort],
  );
  const retiredShown = useMemo(() => instances.retired.slice(0, RETIRED_SHOWN), [instances.retired]);
  const maxReuse = knobs?.maxInstanceReuseCount ?? 1;
  const maxConcurrent = knobs?.maxInstanceConcurrentReuseCount ?? 1;

  const actions = (
    <>
      {view === 'table' && (
        <label className="instance-table-retired" title="List retired instances too (the last 200)">
          <input
            type="checkbox"
            checked={withRetired}
            data-testid="instance-table-retired"
            onChange={(e) => setUi({ instanceTableRetired: e.target.checked })}
          />
          retired
        </label>
      )}
      <Segmented
        label="Show instances as"
        options={VIEWS}
        value={view}
        onChange={(instancesView) => setUi({ instancesView })}
      />
    </>
  );

  return (
    <Panel
      title="Instances"
      meta={
        <>
          <span data-testid="live-count">{live.length}</span> live · {instances.retiredTotal} retired
        </>
      }
      actions={actions}
      className={view === 'table' ? 'workers-panel workers-panel-table' : 'workers-panel'}
      testId="workers-panel"
    >
      {view === 'table' ? (
        rows.length === 0 ? (
          <p className="empty">
            {!withRetired && instances.retiredTotal > 0
              ? `No live instances. Tick "retired" to list the ${instances.retiredTotal} that ended.`
              : 'No instances. One is created when a request arrives.'}
          </p>
        ) : (
          <InstanceTable
            rows={rows}
            sort={sort}
            onSort={onSort}
            maxReuse={maxReuse}
            maxConcurrent={maxConcurrent}
            selectedId={selectedId}
            onSelect={onSelect}
            onShowLeaks={onShowLeaks}
          />
        )
      ) : (
        <>
          {live.length === 0 ? (
            <p className="empty">No live instances. One is created when a request arrives.</p>
          ) : (
            <CardGrid
              live={live}
              leaks={leaks}
              onSelect={onSelect}
              onShowLeaks={onShowLeaks}
              now={now}
              knobs={knobs}
              memoryLimitBytes={memoryLimitBytes}
            />
          )}
          {instances.retired.length > 0 && (
            <>
              <h3 className="subhead">
                Retired <span className="dim">({instances.retiredTotal})</span>
              </h3>
              <RetiredList retired={retiredShown} leaks={leaks} onSelect={onSelect} onShowLeaks={onShowLeaks} />
            </>
          )}
        </>
      )}
    </Panel>
  );
}
