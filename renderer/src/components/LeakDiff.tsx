import type { OutgoingCall } from '../../../protocol/index.ts';
import { changedSpan, parseDifference, type DiffValue } from '../model/leak-diff.ts';
import { fmtBytes, fmtMs } from '../model/format.ts';
import { describeCall } from '../model/log.ts';
import { useStore } from '../store/store.ts';
import type { LeakFinding } from '../model/types.ts';

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** A value with the part that differs from the other side marked. */
function Value({
  value,
  mid,
  prefix,
  suffix,
  side,
}: {
  value: DiffValue;
  mid: string;
  prefix: string;
  suffix: string;
  side: 'reused' | 'fresh';
}) {
  // Strings are quoted by the engine; a bare value (a status, `(absent)`) is shown as it came.
  const empty = value.quoted && value.text === '';
  return (
    <td className={`diff-value diff-${side} mono ${value.quoted ? '' : 'diff-bare'}`} data-testid={`diff-${side}`}>
      {empty ? (
        <span className="dim">(empty)</span>
      ) : (
        <>
          {prefix}
          {mid && <mark>{mid}</mark>}
          {suffix}
        </>
      )}
    </td>
  );
}

/** One finding: which request, on which instance and reuse, and each difference reused-against-fresh, side by side. */
export function LeakDiff({ finding: f, onClose }: { finding: LeakFinding; onClose(): void }) {
  const setLogFilter = useStore((s) => s.setLogFilter);
  const showLeakView = useStore((s) => s.showLeakView);
  const showInLog = (): void => {
    setLogFilter({ requestId: f.requestId, instanceId: null });
    showLeakView({ tab: 'events' });
  };
  return (
    <div
      className="leak-diff"
      data-testid="leak-diff"
      data-request-id={f.requestId}
      data-instance-id={f.instanceId}
      data-kind={f.kind}
    >
      <div className="leak-diff-head">
        <button type="button" className="btn btn-small" onClick={onClose} data-testid="leak-diff-close">
          ← Findings
        </button>
        <span className="mono leak-diff-title ellipsis">
          <b>request #{f.requestId}</b> {f.method} {f.uri}
        </span>
        <button
          type="button"
          className="link leak-diff-log"
          onClick={showInLog}
          title="Filter the event log by this request"
        >
          events ↗
        </button>
      </div>
      <p className="leak-diff-where" data-testid="leak-diff-where">
        {f.kind === 'failed-on-reuse' ? 'Failed' : 'Answered'} by instance <b className="mono">#{f.instanceId}</b> as
        its <b>{ordinal(f.reuseIndex)}</b> request (reuse #{f.reuseIndex}); replayed on a fresh instance in{' '}
        {fmtMs(f.replayMs)}
        {f.kind === 'failed-on-reuse' ? ', which answered it.' : '.'}
      </p>
      {f.kind === 'failed-on-reuse' && (
        <p className="leak-diff-failure" data-testid="leak-diff-failure">
          <span className="chip chip-leak">failed on reuse</span> <span className="mono">{f.failure}</span>
        </p>
      )}
      {f.requestHeaders.length > 0 && (
        <details className="leak-diff-request" data-testid="leak-diff-request">
          <summary>
            The request, as replayed: {f.requestHeaders.length} headers,{' '}
            {f.requestBodyBytes === 0 ? 'no body' : fmtBytes(f.requestBodyBytes) + ' of body'}
          </summary>
          <dl className="mono">
            {f.requestHeaders.map(([name, value], i) => (
              <div key={i}>
                <dt>{name}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
      <table className="diff-table">
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">What differs</span>
            </th>
            <th scope="col">reused instance #{f.instanceId}</th>
            <th scope="col">fresh instance</th>
          </tr>
        </thead>
        <tbody>
          {f.differences.map((line, i) => {
            const parsed = parseDifference(line);
            if (!parsed) {
              return (
                <tr key={i} data-testid="leak-difference">
                  <td colSpan={3} className="mono diff-raw">
                    {line}
                  </td>
                </tr>
              );
            }
            const span = changedSpan(parsed.reused.text, parsed.fresh.text);
            return (
              <tr key={i} data-testid="leak-difference" data-what={parsed.what}>
                <th scope="row" className="diff-what">
                  {parsed.what}
                </th>
                <Value value={parsed.reused} prefix={span.prefix} mid={span.a} suffix={span.suffix} side="reused" />
                <Value value={parsed.fresh} prefix={span.prefix} mid={span.b} suffix={span.suffix} side="fresh" />
              </tr>
            );
          })}
        </tbody>
      </table>
      {f.outgoing && <OutgoingCompared outgoing={f.outgoing} instanceId={f.instanceId} />}
      <p className="dim leak-diff-why">
        {f.kind === 'failed-on-reuse'
          ? 'A fresh instance answers as if no request came before, and it answered; the reused instance failed, so state it kept from its earlier requests broke it.'
          : 'A fresh instance answers as if no request came before; what differs here is state the reused instance kept from its earlier requests.'}
      </p>
    </div>
  );
}

/** What each side asked upstream while answering: side by side, as the differences are. */
function OutgoingCompared({
  outgoing,
  instanceId,
}: {
  outgoing: NonNullable<LeakFinding['outgoing']>;
  instanceId: number;
}) {
  const onlyFresh = outgoing.reusedTotal === 0 && outgoing.freshTotal > 0;
  return (
    <div className="leak-outgoing" data-testid="leak-outgoing">
      <h4>Outgoing requests while answering</h4>
      <table className="diff-table">
        <thead>
          <tr>
            <th scope="col">reused instance #{instanceId}</th>
            <th scope="col">fresh instance</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <OutgoingList calls={outgoing.reused} total={outgoing.reusedTotal} side="reused" />
            <OutgoingList calls={outgoing.fresh} total={outgoing.freshTotal} side="fresh" />
          </tr>
        </tbody>
      </table>
      {onlyFresh && (
        <p className="leak-outgoing-hint" data-testid="leak-outgoing-hint">
          The reused instance answered without asking upstream; the fresh one asked. Its answer likely came from
          upstream data the instance kept from an earlier request.
        </p>
      )}
    </div>
  );
}

function OutgoingList({
  calls,
  total,
  side,
}: {
  calls: readonly OutgoingCall[];
  total: number;
  side: 'reused' | 'fresh';
}) {
  return (
    <td className={`diff-value diff-${side} mono`} data-testid={`leak-outgoing-${side}`} data-count={total}>
      {calls.length === 0 ? (
        <span className="dim">none</span>
      ) : (
        <ul className="leak-outgoing-calls">
          {calls.map((c, i) => (
            <li
              key={i}
              data-testid="leak-outgoing-call"
              data-outcome={c.outcome}
              className={c.outcome === 'failed' ? 'err' : ''}
            >
              {describeCall(c)}
            </li>
          ))}
          {total > calls.length && <li className="dim">and {total - calls.length} more</li>}
        </ul>
      )}
    </td>
  );
}
