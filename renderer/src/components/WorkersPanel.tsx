import { useCallback, useMemo } from 'react';
import { useEngineNow } from '../hooks/useNow.ts';
import { liveInstances } from '../model/instances.ts';
import { useStore } from '../store/store.ts';
import { Panel } from './Panel.tsx';
import { RetiredCard } from './RetiredCard.tsx';
import { WorkerCard } from './WorkerCard.tsx';

const RETIRED_SHOWN = 100;

export function WorkersPanel() {
  const instances = useStore((s) => s.instances);
  const knobs = useStore((s) => s.pool.knobs);
  const memoryLimitBytes = useStore((s) => s.pool.component?.maxMemoryBytes ?? null);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const leaks = useStore((s) => s.leaks);
  const showLeakView = useStore((s) => s.showLeakView);
  const now = useEngineNow(1000);
  const live = useMemo(() => liveInstances(instances), [instances]);
  const onSelect = useCallback((instanceId: number) => setLogFilter({ instanceId, requestId: null }), [setLogFilter]);
  const onShowLeaks = useCallback(
    (instanceId: number) => showLeakView({ tab: 'leaks', instanceId, requestId: null }),
    [showLeakView],
  );

  return (
    <Panel
      title="Instances"
      meta={
        <>
          <span data-testid="live-count">{live.length}</span> live · {instances.retiredTotal} retired
        </>
      }
      className="workers-panel"
      testId="workers-panel"
    >
      {live.length === 0 ? (
        <p className="empty">No live instances. One is created when a request arrives.</p>
      ) : (
        <div className="worker-grid">
          {live.map((r) => (
            <WorkerCard
              key={r.instanceId}
              instance={r}
              maxReuse={knobs?.maxInstanceReuseCount ?? 1}
              maxConcurrent={knobs?.maxInstanceConcurrentReuseCount ?? 1}
              now={now}
              onSelect={onSelect}
              leakCount={leaks.byInstance.get(r.instanceId) ?? 0}
              memory={leaks.memory.get(r.instanceId)}
              growth={leaks.growth.get(r.instanceId) ?? null}
              onShowLeaks={onShowLeaks}
              memoryLimitBytes={memoryLimitBytes}
            />
          ))}
        </div>
      )}
      {instances.retired.length > 0 && (
        <>
          <h3 className="subhead">
            Retired <span className="dim">({instances.retiredTotal})</span>
          </h3>
          <ul className="retired-list" data-testid="retired-list">
            {instances.retired.slice(0, RETIRED_SHOWN).map((r) => (
              <RetiredCard
                key={r.instanceId}
                instance={r}
                onSelect={onSelect}
                leakCount={leaks.byInstance.get(r.instanceId) ?? 0}
                growth={leaks.growth.get(r.instanceId) ?? null}
                onShowLeaks={onShowLeaks}
              />
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}
