import { useState } from 'react';
import { useStore } from '../store/store.ts';
import { ComponentPicker } from './ComponentPicker.tsx';
import { CopyButton } from './CopyButton.tsx';
import { RecordingControls } from './RecordingControls.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';

const WORLD_LABEL = { wasip2: 'WASIp2', wasip3: 'WASIp3' } as const;

export function Header() {
  const component = useStore((s) => s.pool.component);
  const listenUrl = useStore((s) => s.pool.listenUrl);
  const serving = useStore((s) => s.pool.serving);
  const ready = useStore((s) => s.pool.ready);
  const connection = useStore((s) => s.connection);
  const setServing = useStore((s) => s.setServing);
  const clearHistory = useStore((s) => s.clearHistory);
  // While a recording is replayed nothing may change the engine (the store refuses it too).
  const replaying = useStore((s) => s.replay !== null);
  const [busy, setBusy] = useState(false);

  const toggle = async (): Promise<void> => {
    setBusy(true);
    await setServing(!serving);
    setBusy(false);
  };
  const address = listenUrl?.replace(/^https?:\/\//, '').replace(/\/$/, '') ?? null;

  return (
    <header className="app-header">
      <h1 className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◎
        </span>{' '}
        Poolscope
      </h1>
      <div className="header-component" data-testid="component-info">
        <span className="component-name" title={component?.spec}>
          {component?.name ?? (ready ? 'no component' : '…')}
        </span>
        {component && <span className={`badge badge-${component.world}`}>{WORLD_LABEL[component.world]}</span>}
      </div>
      <div className="header-address">
        {listenUrl && address ? (
          <>
            <a className="mono" href={listenUrl} target="_blank" rel="noreferrer" data-testid="listen-address">
              {address}
            </a>
            <CopyButton text={listenUrl} label="Copy address" />
          </>
        ) : (
          <span className="dim">not listening</span>
        )}
      </div>
      <span className={`pill ${serving ? 'pill-ok' : 'pill-off'}`} data-testid="serving-state" data-serving={serving}>
        {serving ? 'Serving' : 'Stopped'}
      </span>
      <button
        type="button"
        className="btn"
        onClick={() => void toggle()}
        disabled={busy || !component || replaying}
        data-testid="serve-toggle"
      >
        {serving ? '■ Stop' : '▶ Start'}
      </button>
      <ComponentPicker />
      <div className="header-end">
        <RecordingControls />
        <button
          type="button"
          className="btn btn-quiet"
          onClick={() => void clearHistory()}
          disabled={replaying}
          title="Forget retired instances, finished requests, charts and the log"
        >
          Clear
        </button>
        <span
          className={`conn conn-${connection.status}`}
          data-testid="connection-status"
          data-state={connection.status}
          title={connection.error ?? connection.status}
        >
          <span className="conn-dot" aria-hidden="true" />
          {connection.status === 'open'
            ? 'live'
            : connection.status === 'connecting'
              ? connection.attempts
                ? 'reconnecting'
                : 'connecting'
              : 'closed'}
        </span>
        <ThemeToggle />
      </div>
    </header>
  );
}
