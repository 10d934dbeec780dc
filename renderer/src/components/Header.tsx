import { useState } from 'react';
import { useLivePace } from '../hooks/useLivePace.ts';
import { headerStatus, livePace } from '../model/connection.ts';
import { useStore } from '../store/store.ts';
import { ComponentPicker } from './ComponentPicker.tsx';
import { CopyButton } from './CopyButton.tsx';
import { RecordingControls } from './RecordingControls.tsx';
import { PresenterToggle } from './PresenterToggle.tsx';
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
  const replayFile = useStore((s) => s.replay?.fileName ?? null);
  const replaying = replayFile !== null;
  const disconnected = connection.status !== 'open';
  const [busy, setBusy] = useState(false);
  const shown = headerStatus(connection, serving, replayFile);
  const paceMs = useLivePace();
  const pace = shown.link === 'live' ? livePace(paceMs) : null;

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
      <span
        className={`pill pill-${shown.pill} ellipsis`}
        data-testid="serving-state"
        data-serving={shown.pill === 'serving'}
        data-state={shown.pill}
        title={
          shown.pill === 'replay'
            ? `${shown.pillText}: a recording is on screen, not the engine (Back to live shows it)`
            : shown.pill === 'unknown'
              ? 'The link to the engine is down: its state is not known'
              : undefined
        }
      >
        {shown.pillText}
      </span>
      <button
        type="button"
        className="btn"
        onClick={() => void toggle()}
        disabled={busy || !component || replaying || disconnected}
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
          disabled={replaying || disconnected}
          title="Forget retired instances, finished requests, charts and the log"
        >
          Clear
        </button>
        <span
          className={`conn conn-${shown.link}`}
          data-testid="connection-status"
          data-state={connection.status}
          data-shown={shown.link}
          data-pace-ms={shown.link === 'live' ? paceMs : undefined}
          title={
            shown.link === 'replay'
              ? 'Replaying a recording: nothing on screen is live'
              : (pace?.title ?? connection.error ?? connection.status)
          }
        >
          <span className="conn-dot" aria-hidden="true" />
          {/* One text node, so it reads (and is named) "live · every 2 s". */}
          <span className="conn-text">{pace ? `${shown.linkText} · ${pace.text}` : shown.linkText}</span>
        </span>
        <PresenterToggle />
        <ThemeToggle />
      </div>
    </header>
  );
}
