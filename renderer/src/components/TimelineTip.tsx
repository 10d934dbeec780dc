/** The timeline's tips: what is under the pointer (or the keyboard focus), in words. */
import { describeCallTarget, EXIT_CAUSE_LABELS } from '../../../protocol/index.ts';
import { fmtBytes, fmtMs } from '../model/format.ts';
import { summarizeDifference } from '../model/leak-diff.ts';
import type { OutgoingRecord, RequestRecord } from '../model/types.ts';
import { useStore } from '../store/store.ts';
import { fmtTLong } from '../time/time-base.ts';
import type { Hit } from '../timeline/hits.ts';

/** Room a tip may take to the right of the pointer; nearer the right edge it opens to the left. */
const TIP_ROOM = 380;

/** What the pointer is on: the topmost hit, and when that is an outgoing bar, every call under the pointer. */
export interface TipAt {
  x: number;
  y: number;
  hit: Hit;
  calls: OutgoingRecord[];
}

export function TimelineTip({ x, y, hit, calls, width }: TipAt & { width: number }) {
  const style: TipStyle =
    x > width - TIP_ROOM && x > TIP_ROOM ? { right: width - x + 12, top: y + 12 } : { left: x + 12, top: y + 12 };
  if (hit.kind === 'outgoing') return <OutgoingTip style={style} calls={calls} />;
  if (hit.kind === 'exit') {
    const e = hit.exit;
    return (
      <div className="tip" style={style}>
        <b>#{hit.instance.instanceId}</b> {EXIT_CAUSE_LABELS[e.cause]} · served {e.served} · lived {fmtMs(e.lifetimeMs)}
        <div className="dim">ended {fmtTLong(e.t)}</div>
        {e.message && <div className="err">{e.message}</div>}
      </div>
    );
  }
  const r = hit.request;
  return (
    <div className="tip" style={style} data-testid="timeline-request-tip" data-request-id={r.requestId}>
      <b>#{r.requestId}</b> {r.method} {r.uri}
      <div className="dim">
        instance {r.instanceId} · reuse #{r.reuseIndex} · {r.status ?? r.outcome}
        {r.durationMs !== null ? ` · ${fmtMs(r.durationMs)}` : r.latencyMs !== null ? ` · ${fmtMs(r.latencyMs)}` : ''}
      </div>
      <div className="dim">{requestTimes(r)}</div>
      {r.failure && (
        <div className="err">
          {r.failure.kind}: {r.failure.message}
        </div>
      )}
      {hit.finding && (
        <div className="tip-leak" data-testid="timeline-leak-tip">
          ⚠ leak: {hit.finding.differences.map(summarizeDifference).join('; ')}
          <div className="dim">click to open the diff</div>
        </div>
      )}
    </div>
  );
}

/** `received t = 12.300 s · queued 4.0ms`: when it came, and how long it waited for an instance. */
export function requestTimes(r: RequestRecord): string {
  const wait = r.acceptedAt === null ? null : r.acceptedAt - r.receivedAt;
  return `received ${fmtTLong(r.receivedAt)}${wait === null ? ' · waiting for an instance' : ` · queued ${fmtMs(wait)}`}`;
}

type TipStyle = { left: number; top: number } | { right: number; top: number };

/** At most this many calls are described in one tip; the rest are counted (zooming in parts them). */
const TIP_CALLS = 3;

/** The outgoing requests under the pointer, nearest first, each described in full. */
function OutgoingTip({ style, calls }: { style: TipStyle; calls: readonly OutgoingRecord[] }) {
  const more = calls.length - TIP_CALLS;
  return (
    <div className="tip" style={style} data-testid="timeline-outgoing-tip">
      {calls.slice(0, TIP_CALLS).map((c) => (
        <OutgoingCall key={c.seq} call={c} />
      ))}
      {more > 0 && <div className="dim">+{more} more outgoing here: zoom in (wheel or +) to part them</div>}
    </div>
  );
}

/** An outgoing request: what was asked, how it ended, for which request, and what the lane no longer shows. */
function OutgoingCall({ call: c }: { call: OutgoingRecord }) {
  const notKept = useStore((s) => s.outgoing.notKept.get(c.instanceId) ?? 0);
  const ended =
    c.outcome === 'failed'
      ? 'failed'
      : c.outcome === 'dropped'
        ? `let go by the guest${c.status === null ? '' : ` after ${c.status}`}`
        : `→ ${c.status ?? '?'}`;
  return (
    <div
      className="tip-call"
      data-testid="timeline-outgoing-call"
      data-outcome={c.outcome}
      data-request-id={c.requestId ?? undefined}
    >
      <b>outgoing</b> <span className="mono">{describeCallTarget(c)}</span>
      <div className="dim">
        {ended} · {fmtMs(c.durationMs)} · {fmtBytes(c.requestBytes)} ↑ {fmtBytes(c.responseBytes)} ↓
      </div>
      {c.error && (
        <div className="err">
          {c.error.tag}
          {c.error.detail ? `: ${c.error.detail}` : ''}
        </div>
      )}
      <div className="dim">
        instance {c.instanceId} · {c.requestId === null ? 'request not known' : `request #${c.requestId}`}
        {notKept > 0 && ` · ${notKept} earlier outgoing not kept`}
      </div>
    </div>
  );
}
