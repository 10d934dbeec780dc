import { useState, type FormEvent } from 'react';
import { commandSchema, LOAD_TIMEOUT_DEFAULT_MS } from '../../../protocol/index.ts';
import { fmtMs, fmtRate } from '../model/format.ts';
import type { SendRequestsParams } from '../store/shape.ts';
import { useStore } from '../store/store.ts';
import { Panel } from './Panel.tsx';
import { EngineControls } from './EngineControls.tsx';
import { LoadBreakdown } from './LoadBreakdown.tsx';

const METHODS: SendRequestsParams['method'][] = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'];
const DEFAULT_METHOD: SendRequestsParams['method'] = 'GET';

/** The load generator: `sendRequests`, with its `load-progress`. */
export function LoadPanel() {
  const load = useStore((s) => s.load);
  const serving = useStore((s) => s.pool.serving);
  const sendRequests = useStore((s) => s.sendRequests);
  const [form, setForm] = useState({
    count: '100',
    concurrency: '4',
    path: '/',
    method: DEFAULT_METHOD,
    timeout: String(LOAD_TIMEOUT_DEFAULT_MS / 1000),
  });
  const [error, setError] = useState<string | null>(null);

  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    const command = {
      type: 'sendRequests',
      count: Number(form.count),
      concurrency: Number(form.concurrency),
      path: form.path,
      method: form.method,
      // Seconds in the form, milliseconds on the wire; the schema bounds it (1 s to 1 hour).
      timeoutMs: Number(form.timeout) * 1000,
    };
    const parsed = commandSchema.safeParse(command);
    if (!parsed.success) return setError(parsed.error.issues.map((i) => i.message).join('; '));
    setError(null);
    void sendRequests({
      count: command.count,
      concurrency: command.concurrency,
      path: command.path,
      method: command.method,
      timeoutMs: command.timeoutMs,
    });
  };
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  const p = load.progress;
  const total = load.requested?.count ?? 0;
  const percent = p && total ? Math.min(100, (p.done / total) * 100) : 0;
  return (
    <Panel title="Send requests" testId="load-panel">
      <EngineControls>
        <form className="load-form" onSubmit={onSubmit}>
          <label>
            Count
            <input
              className="input mono"
              inputMode="numeric"
              value={form.count}
              onChange={set('count')}
              aria-label="Request count"
            />
          </label>
          <label>
            Concurrency
            <input
              className="input mono"
              inputMode="numeric"
              value={form.concurrency}
              onChange={set('concurrency')}
              aria-label="Concurrency"
            />
          </label>
          <label>
            Timeout s
            <input
              className="input mono load-timeout"
              inputMode="decimal"
              value={form.timeout}
              onChange={set('timeout')}
              aria-label="Client timeout in seconds"
              title="How long the client waits for each response before it gives up (a client timeout); 1 s to 1 hour"
            />
          </label>
          <label className="load-path">
            Path
            <span className="load-path-row">
              <select className="input" value={form.method} onChange={set('method')} aria-label="Method">
                {METHODS.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
              <input
                className="input mono"
                value={form.path}
                onChange={set('path')}
                aria-label="Path"
                spellCheck={false}
              />
            </span>
          </label>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={load.running || !serving}
            title={serving ? '' : 'Start serving first'}
          >
            {load.running ? 'Sending…' : 'Send'}
          </button>
        </form>
        {(error ?? load.error) && (
          <p className="form-error" role="alert">
            {error ?? load.error}
          </p>
        )}
        <div
          className="load-progress"
          data-testid="load-progress"
          data-done={p?.done ?? 0}
          data-finished={p?.finished ?? false}
        >
          <div className="progress-bar" aria-hidden="true">
            <div className={`progress-fill ${p?.errors ? 'has-errors' : ''}`} style={{ width: `${percent}%` }} />
          </div>
          <dl className="stats">
            <dt>done</dt>
            <dd className="mono">{p ? `${p.done}${total ? ` / ${total}` : ''}` : '—'}</dd>
            <dt title="Requests without a response: client timeouts and connection errors">errors</dt>
            <dd className={`mono ${p?.errors ? 'err' : ''}`} data-testid="load-errors">
              {p ? p.errors : '—'}
            </dd>
            <dt>rate</dt>
            <dd className="mono">{p ? fmtRate(p.rate) : '—'}</dd>
            <dt>p50 / p90</dt>
            <dd className="mono">{p?.latencyMs ? `${fmtMs(p.latencyMs.p50)} / ${fmtMs(p.latencyMs.p90)}` : '—'}</dd>
            <dt>p99 / max</dt>
            <dd className="mono">{p?.latencyMs ? `${fmtMs(p.latencyMs.p99)} / ${fmtMs(p.latencyMs.max)}` : '—'}</dd>
            <dt>status</dt>
            <dd className="mono status-counts">
              {p && Object.keys(p.statusCounts).length
                ? Object.entries(p.statusCounts).map(([status, n]) => (
                    <span key={status} className={`status-${status[0]}xx`}>
                      {status}×{n}
                    </span>
                  ))
                : '—'}
            </dd>
          </dl>
          {p && <LoadBreakdown progress={p} />}
        </div>
      </EngineControls>
    </Panel>
  );
}
