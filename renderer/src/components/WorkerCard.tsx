import { memo, type CSSProperties } from 'react';
import type { PoolKnobs } from '../../../protocol/index.ts';
import type { InstanceRecord, MemoryGrowthWarning, MemoryPoint } from '../model/types.ts';
import { describeStateAge, displayState, stateAge } from '../model/instance-state.ts';
import { fmtAge, fmtBytes, fmtMs } from '../model/format.ts';
import { memoryCurve } from '../model/leaks.ts';
import { GrowthBadge, LeakBadge } from './LeakBadges.tsx';
import { MemorySparkline } from './MemorySparkline.tsx';

interface Props {
  instance: InstanceRecord;
  maxReuse: number;
  maxConcurrent: number;
  now: number;
  onSelect(instanceId: number): void;
  /** Leak findings on this instance, its memory after each request, and a growth warning. */
  leakCount?: number;
  /** Reused answers of this instance the leak detector checked (its badge says "1 leak in 7 checked"). */
  leakChecked?: number;
  memory?: readonly MemoryPoint[];
  growth?: MemoryGrowthWarning | null;
  onShowLeaks?(instanceId: number): void;
  /** The bound on each linear memory (`-W max-memory-size`); null when unknown (old recordings). */
  memoryLimitBytes?: number | null;
  /** The knobs in force: they bound how long each state may last (see model/instance-state.ts). */
  knobs?: PoolKnobs | null;
}

const OUTPUT_LINES = 3;

function memoryTitle(bytes: number | null, limit: number | null): string {
  const now =
    bytes === null
      ? 'linear memory: not reported yet'
      : `linear memory now (at instantiation, then after each request): ${bytes} bytes`;
  return limit === null
    ? now
    : `${now}; each memory may grow to ${limit} bytes (-W max-memory-size), then memory.grow returns -1`;
}

export function statusOf(r: InstanceRecord): string {
  return displayState(r);
}

/**
 * What a card says about itself to tests and to find-by-id, on the full card and on its shell
 * (InstanceShells.tsx) alike.
 */
export function cardAttributes(r: InstanceRecord, leakCount: number) {
  return {
    'data-testid': 'worker-card',
    'data-instance-id': r.instanceId,
    'data-reuse-count': r.reuseCount,
    'data-status': statusOf(r),
    'data-in-flight': r.inFlight,
    'data-leaks': leakCount,
    'data-executor': r.executor ?? undefined,
  };
}

/** One live instance: status, reuse against the max, in flight, age, memory, recent output. */
export const WorkerCard = memo(function WorkerCard({
  instance: r,
  maxReuse,
  maxConcurrent,
  now,
  onSelect,
  leakCount = 0,
  leakChecked = 0,
  memory,
  growth = null,
  onShowLeaks,
  memoryLimitBytes = null,
  knobs = null,
}: Props) {
  const status = statusOf(r);
  const age = stateAge(r, now, knobs);
  // Sizes are reported when they change: the last one holds up to the requests finished by now.
  const curve = memory ? memoryCurve(memory, r.reuseCount - r.inFlight) : [];
  const reusePct = Math.min(100, (r.reuseCount / Math.max(1, maxReuse)) * 100);
  const lines = r.output.slice(-OUTPUT_LINES);
  return (
    <article className={`card worker-card status-${status}`} {...cardAttributes(r, leakCount)}>
      <header className="card-head">
        <button
          type="button"
          className="link card-id mono"
          onClick={() => onSelect(r.instanceId)}
          title="Filter the event log by this instance"
        >
          #{r.instanceId}
        </button>
        {r.executor !== null && (
          // One hue per executor thread, so instances sharing a thread are seen together.
          <span
            className="executor-chip mono"
            data-testid="executor-chip"
            // React sets custom properties as given; CSSProperties does not list them.
            style={{ '--executor-hue': String((r.executor * 137) % 360) } as CSSProperties}
            title={`hosted on executor thread ${r.executor} (with every instance that shows the same colour)`}
          >
            E{r.executor}
          </span>
        )}
        <span className={`status status-${status}`}>
          <span className="status-dot" aria-hidden="true" />
          {status}
        </span>
        <span
          className="card-avail dim"
          title={r.unavailableWhy ? `unavailable: ${r.unavailableWhy}` : 'available for new requests'}
        >
          {r.available ? 'available' : (r.unavailableWhy ?? (r.status === 'Starting' ? 'starting' : 'busy'))}
        </span>
      </header>
      <p
        className={`card-state mono ${age.overdue ? 'state-long' : ''}`}
        data-testid="card-state"
        data-overdue={age.overdue !== null}
        title={
          age.overdue ??
          (age.ms === null
            ? 'time in this state is not known: this page connected after it began'
            : 'time in the current state, by the engine clock')
        }
      >
        {age.overdue && <span aria-hidden="true">⚠ </span>}
        {describeStateAge(age, fmtAge)}
        {age.overdue && <span className="visually-hidden"> (held abnormally long: {age.overdue})</span>}
      </p>
      {(leakCount > 0 || growth) && (
        <div className="card-flags">
          {onShowLeaks && (
            <LeakBadge instanceId={r.instanceId} count={leakCount} checked={leakChecked} onShow={onShowLeaks} />
          )}
          <GrowthBadge warning={growth} />
        </div>
      )}
      <div className="meter" title={`reuse ${r.reuseCount} of ${maxReuse}`}>
        <span className="meter-label">reuse</span>
        <div className="meter-bar" aria-hidden="true">
          <div className="meter-fill" style={{ width: `${reusePct}%` }} />
        </div>
        <span className="meter-value mono" data-testid="reuse-count">
          {r.reuseCount}
          <span className="dim">/{maxReuse}</span>
        </span>
      </div>
      <dl className="card-stats">
        <dt>in flight</dt>
        <dd className="mono">
          {r.inFlight}
          <span className="dim">/{maxConcurrent}</span>
        </dd>
        <dt>age</dt>
        <dd className="mono">{fmtAge(now - r.createdAt)}</dd>
        <dt>memory</dt>
        <dd className="mono" data-testid="memory" title={memoryTitle(r.memoryBytes, memoryLimitBytes)}>
          {r.memoryBytes !== null ? fmtBytes(r.memoryBytes) : '—'}
          {memoryLimitBytes !== null &&
            // At the limit every memory.grow fails (returns -1): worth a warning colour, not an error's.
            (r.memoryBytes !== null && r.memoryBytes >= memoryLimitBytes ? (
              <span className="at-limit" style={{ color: 'var(--warn)' }}>
                {' '}
                / {fmtBytes(memoryLimitBytes)}
              </span>
            ) : (
              <span className="dim"> / {fmtBytes(memoryLimitBytes)}</span>
            ))}
        </dd>
        <dt>start</dt>
        <dd className="mono" title="from the instantiate request to the instance's readiness, on its executor thread">
          {r.instantiationMs !== null ? fmtMs(r.instantiationMs) : '…'}
        </dd>
        <dt>ok / failed</dt>
        <dd className="mono">
          {r.ok}
          <span className={r.failed ? 'err' : 'dim'}> / {r.failed}</span>
        </dd>
      </dl>
      {curve.length > 0 && <MemorySparkline points={curve} growing={growth !== null} />}
      <pre className="card-output" aria-label="Recent guest output">
        {lines.length === 0 ? (
          <span className="dim">no output</span>
        ) : (
          lines.map((l, i) => (
            <span key={`${l.t}-${i}`} className={`out-${l.stream}`}>
              {l.line || ' '}
              {'\n'}
            </span>
          ))
        )}
      </pre>
    </article>
  );
});
