import { type UIEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PoolEvent } from '../../../protocol/index.ts';
import { fmtBytes } from '../model/format.ts';
import { describeEvent, filterEvents } from '../model/log.ts';
import type { EngineHistoryInfo } from '../model/types.ts';
import { useStore } from '../store/store.ts';
import { fmtT, TIME_BASE_LABEL } from '../time/time-base.ts';
import { LogFilterBar } from './LogFilterBar.tsx';
import { Panel } from './Panel.tsx';
import { SkipLink } from './SkipLink.tsx';

const ROW = 20;
const OVERSCAN = 10;

/** The event log: filtered, following live unless scrolled up or paused, virtualised (only visible rows exist). */
export function EventLog() {
  const live = useStore((s) => s.log.events);
  const total = useStore((s) => s.log.total);
  const dropped = useStore((s) => s.log.dropped);
  const engineHistory = useStore((s) => s.engineHistory);
  const filter = useStore((s) => s.ui.logFilter);
  const paused = useStore((s) => s.ui.logPaused);
  const setUi = useStore((s) => s.setUi);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const [frozen, setFrozen] = useState<{ events: readonly PoolEvent[]; total: number } | null>(null);
  const source = paused && frozen ? frozen.events : live;
  const rows = useMemo(() => filterEvents(source, filter), [source, filter]);

  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 300 });
  const [follow, setFollow] = useState(true);
  /** Where following last scrolled to. */
  const autoTop = useRef(0);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return; // not mounted
    const observer = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  // Follow live: stay pinned to the bottom as rows arrive, once per frame however many batches
  // came (scrolling forces a layout; in the frame callback that layout is due anyway).
  useEffect(() => {
    if (!follow) return;
    const frame = requestAnimationFrame(() => {
      const el = scroller.current;
      if (!el) return;
      el.scrollTop = el.scrollHeight;
      autoTop.current = el.scrollTop;
    });
    return () => cancelAnimationFrame(frame);
  }, [rows, follow]);

  const onScroll = (event: UIEvent<HTMLDivElement>): void => {
    const el = event.currentTarget;
    // Back at the bottom: follow again. Above where following put it: the user scrolled up.
    // (Rows arriving after an automatic scroll leave it short of the bottom; that is no reason to stop.)
    const following =
      el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 1.5 || (follow && el.scrollTop >= autoTop.current - 2);
    setFollow(following);
    // Following shows the last rows whatever the scroll position says (below), so following's own
    // scrolls need no second render: under load that was a second frame for every delivery.
    if (!following) setView({ top: el.scrollTop, height: el.clientHeight });
    autoTop.current = Math.min(autoTop.current, el.scrollTop);
  };
  const togglePause = (): void => {
    setFrozen(paused ? null : { events: live, total });
    setUi({ logPaused: !paused });
  };

  // Following: the rows at the bottom, where the scroll this render asks for (above) will be.
  const top = follow ? Math.max(0, rows.length * ROW - view.height) : view.top;
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + view.height) / ROW) + OVERSCAN);
  const behind = paused && frozen ? total - frozen.total : 0;

  const actions = (
    <>
      {behind > 0 && <span className="dim">+{behind} new</span>}
      <button
        type="button"
        className={`btn btn-small ${paused ? '' : 'btn-live'}`}
        onClick={togglePause}
        data-testid="log-pause"
        aria-pressed={paused}
      >
        {paused ? '▶ Resume' : '❚❚ Pause'}
      </button>
    </>
  );
  return (
    <Panel
      title="Events"
      meta={
        <>
          {rows.length} shown · {total} total{dropped ? <span className="err"> · {dropped} dropped</span> : null}
          {engineHistory && <EngineHistoryNote {...engineHistory} />}
        </>
      }
      actions={actions}
      className="log-panel"
      testId="event-log"
    >
      <LogFilterBar />
      {/* Every row has its own buttons: without this, keyboard users tab through all of them. */}
      <SkipLink target="event-log-end" testId="skip-event-log">
        Skip past the event log
      </SkipLink>
      {/* The columns' names; the time is the one time base the timeline and charts use. */}
      <div className="log-head" data-testid="log-head">
        <abbr className="log-t" title={TIME_BASE_LABEL}>
          t (s)
        </abbr>
        <span>event</span>
        <span>inst.</span>
        <span>req.</span>
        <span>detail</span>
      </div>
      <div className="log-scroll" ref={scroller} onScroll={onScroll}>
        <div className="log-rows" style={{ height: rows.length * ROW }}>
          {rows.slice(first, last).map((e, i) => (
            // Keyed by slot, not by event: as rows go past, the same elements show new events (their
            // text changes) instead of each delivery under load building ~40 rows and removing as many.
            <div
              key={i}
              className="log-row"
              style={{ top: (first + i) * ROW }}
              data-testid="log-row"
              data-type={e.type}
              data-instance-id={'instanceId' in e ? (e.instanceId ?? undefined) : undefined}
              data-request-id={'requestId' in e ? (e.requestId ?? undefined) : undefined}
            >
              <span className="log-t mono">{fmtT(e.t)}</span>
              <span className={`log-type ev ev-${e.type.split('.')[0]}`}>{e.type}</span>
              <span className="log-id mono">
                {'instanceId' in e && e.instanceId !== null ? (
                  <button type="button" className="link" onClick={() => setLogFilter({ instanceId: e.instanceId })}>
                    i{e.instanceId}
                  </button>
                ) : null}
              </span>
              <span className="log-id mono">
                {'requestId' in e && e.requestId !== null ? (
                  <button
                    type="button"
                    className="link"
                    onClick={() => setUi({ selectedRequest: e.requestId })}
                    title="Open this request's story"
                    data-testid="log-open-request"
                  >
                    r{e.requestId}
                  </button>
                ) : null}
              </span>
              <span className="log-text mono">{describeEvent(e)}</span>
            </div>
          ))}
        </div>
        {rows.length === 0 && <p className="empty">No events{total ? ' match the filter' : ' yet'}.</p>}
      </div>
      {!follow && (
        <button
          type="button"
          className="btn btn-small jump-live"
          onClick={() => setFollow(true)}
          data-testid="log-follow"
        >
          ↓ Follow
        </button>
      )}
      <span id="event-log-end" className="skip-target" tabIndex={-1} data-testid="event-log-end" />
    </Panel>
  );
}

/** Where a late-opened page's history came from, the engine's bound, and whether the bound cut it. */
function EngineHistoryNote({ kept, dropped, maxEvents, maxBytes }: EngineHistoryInfo) {
  return (
    <span
      data-testid="engine-history"
      data-kept={kept}
      data-dropped={dropped}
      title="This page did not see all of this pool live (it opened after the pool started, or the pool served unseen while a scenario ran): what came before is the engine's history of the pool, which it keeps within these bounds."
    >
      {' '}
      · history from engine: last {kept} events (bound {maxEvents.toLocaleString('en')} / {fmtBytes(maxBytes)}
      {dropped > 0 ? `; oldest dropped: ${dropped}` : ''})
    </span>
  );
}
