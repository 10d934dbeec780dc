import { type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import type { RequestDetail } from '../../../protocol/index.ts';
import { useBelowHeader } from '../hooks/useBelowHeader.ts';
import { useEngineNow } from '../hooks/useNow.ts';
import { buildRequestStory, type RequestStory } from '../model/request-story.ts';
import { useStore } from '../store/store.ts';
import {
  type DetailState,
  Headers,
  Leak,
  OutcomeChip,
  Outgoing,
  Output,
  Phases,
  Summary,
} from './RequestStorySections.tsx';
import '../styles/request-panel.css';

/** The last answer, and the request it is about (another request's answer counts as loading). */
type Answer = { requestId: number; detail: DetailState };

/**
 * The story of one request (`ui.selectedRequest`), chosen in the timeline, the event log or the
 * failed list: its phases on one axis, status, headers, sizes, instance and reuse index, guest
 * output, outgoing calls and leak verdict. A non-modal side panel: the dashboard stays usable, and
 * choosing another request shows that one. Focus moves to its heading when it opens and back to
 * what opened it when Escape or Close shuts it.
 */
export function RequestPanel() {
  const selected = useStore((s) => s.ui.selectedRequest);
  if (selected === null) return null;
  return <OpenRequestPanel requestId={selected} />;
}

function OpenRequestPanel({ requestId }: { requestId: number }) {
  const setUi = useStore((s) => s.setUi);
  const setLogFilter = useStore((s) => s.setLogFilter);
  const heading = useRef<HTMLHeadingElement>(null);
  const close = (): void => setUi({ selectedRequest: null });
  const detail = useRequestDetail(requestId);
  const story = useStory(requestId, detail.state === 'kept' ? detail.detail : null);
  useFocusReturn(heading);
  useEscapeAnywhere(close);
  useCloseOnNewContext(close);
  const top = useBelowHeader();

  return (
    <section
      className="request-panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby="request-panel-title"
      data-testid="request-panel"
      style={{ top }}
      data-request-id={requestId}
      data-outcome={story.outcome}
    >
      <header className="request-panel-head">
        <h2 id="request-panel-title" ref={heading} tabIndex={-1} data-testid="request-panel-title">
          Request r{requestId}
        </h2>
        <OutcomeChip story={story} />
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setLogFilter({ requestId, instanceId: null })}
          title="Filter the event log to this request"
        >
          Its events
        </button>
        <button
          type="button"
          className="btn btn-icon"
          aria-label="Close the request panel"
          onClick={close}
          data-testid="request-panel-close"
        >
          ✕
        </button>
      </header>
      {/* Focusable: a story taller than the panel scrolls from the keyboard too (axe: scrollable-region-focusable). */}
      <div className="request-panel-body" tabIndex={0} role="group" aria-labelledby="request-panel-title">
        <p className="request-target mono" data-testid="request-target">
          {story.method} {story.uri}
        </p>
        {!story.known && (
          <p className="dim" data-testid="request-unknown">
            This dashboard no longer holds request r{requestId} (it keeps the most recent requests), and the engine has
            no detail of it either.
          </p>
        )}
        <Summary story={story} />
        <Phases story={story} />
        <Headers story={story} detail={detail} />
        <Output story={story} />
        <Outgoing story={story} />
        <Leak leak={story.leak} />
      </div>
    </section>
  );
}

/** Asks the engine for what it kept of the request, again when the request moves on (ends, settles). */
function useRequestDetail(requestId: number): DetailState {
  const replaying = useStore((s) => s.replay !== null);
  const poolId = useStore((s) => s.pool.poolId);
  const outcome = useStore((s) => s.requests.byId.get(requestId)?.outcome ?? null);
  const command = useStore((s) => s.command);
  const [answer, setAnswer] = useState<Answer | null>(null);
  // Asked again whenever `outcome` changes: a request still running is asked about again when it ends.
  useEffect(() => {
    if (replaying) return;
    let current = true;
    const settle = (detail: DetailState): void => {
      if (current) setAnswer({ requestId, detail });
    };
    void command({ type: 'requestDetail', requestId, ...(poolId !== null ? { poolId } : {}) }, false).then((reply) => {
      if (!reply.ok) settle({ state: 'missing', reason: `the engine could not answer: ${reply.error}` });
      else if (reply.result.kept) settle({ state: 'kept', detail: reply.result.detail });
      else settle({ state: 'missing', reason: reply.result.reason });
    });
    return () => {
      current = false;
    };
  }, [requestId, poolId, replaying, outcome, command]);
  if (replaying) return { state: 'replay' };
  return answer?.requestId === requestId ? answer.detail : { state: 'loading' };
}

function useStory(requestId: number, detail: RequestDetail | null): RequestStory {
  const requests = useStore((s) => s.requests);
  const instances = useStore((s) => s.instances);
  const outgoing = useStore((s) => s.outgoing);
  const leaks = useStore((s) => s.leaks);
  const log = useStore((s) => s.log.events);
  // Open spans grow with the engine's clock; a settled story ignores it.
  const now = useEngineNow(500);
  return useMemo(
    () => buildRequestStory({ requestId, requests, instances, outgoing, leaks, log, detail, now }),
    [requestId, requests, instances, outgoing, leaks, log, detail, now],
  );
}

/** Focus goes to the heading on open and back to what opened the panel (if still there) on close. */
function useFocusReturn(heading: RefObject<HTMLHeadingElement | null>): void {
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    heading.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
      else document.getElementById('live-views')?.focus();
    };
  }, [heading]);
}

/**
 * Escape closes the panel wherever focus is, except where Escape already means something: a modal
 * dialog open over the page (it closes first), or a field (Escape undoes an edit there).
 */
function useEscapeAnywhere(close: () => void): void {
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const target = e.target instanceof HTMLElement ? e.target : null;
      if (target?.closest('input, textarea, select, dialog[open], details[open]')) return;
      if (document.querySelector('dialog[open]')) return;
      latest.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

/**
 * Request ids are per pool: when another pool starts serving, or a recording is opened or left,
 * the id names another request, so the panel closes rather than show a stranger's story.
 */
function useCloseOnNewContext(close: () => void): void {
  const context = useStore((s) => `${s.replay ? 'replay' : 'live'}:${s.pool.poolId}`);
  const opened = useRef(context);
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    if (context !== opened.current) latest.current();
  }, [context]);
}
