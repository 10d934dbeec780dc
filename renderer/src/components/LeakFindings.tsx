import { summarizeDifference } from '../model/leak-diff.ts';
import type { LeakFinding } from '../model/types.ts';

const SHOWN = 200;

/** The findings, newest first; a click opens one's diff. */
export function LeakFindings({
  findings,
  onOpen,
}: {
  findings: readonly LeakFinding[];
  onOpen(requestId: number): void;
}) {
  return (
    <ul className="leak-findings" data-testid="leak-findings">
      {findings.slice(0, SHOWN).map((f) => (
        <li key={`${f.requestId}-${f.t}`}>
          <button
            type="button"
            className="leak-finding"
            data-testid="leak-finding"
            data-request-id={f.requestId}
            data-instance-id={f.instanceId}
            data-kind={f.kind}
            title="Open the differences"
            onClick={() => onOpen(f.requestId)}
          >
            <span className="mono leak-finding-id">#{f.requestId}</span>
            <span className="mono ellipsis">
              {f.method} {f.uri}
            </span>
            <span className="dim mono">
              inst {f.instanceId} · reuse #{f.reuseIndex}
            </span>
            {f.kind === 'failed-on-reuse' && (
              <span
                className="chip chip-leak"
                data-testid="leak-finding-kind"
                title={`The reused instance failed (${f.failure}); a fresh instance answered`}
              >
                failed on reuse
              </span>
            )}
            <span className="leak-finding-diff mono ellipsis">
              {summarizeDifference(f.differences[0])}
              {f.differences.length > 1 && <span className="dim"> +{f.differences.length - 1} more</span>}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
