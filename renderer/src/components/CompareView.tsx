import { useEffect, useRef } from 'react';
import { useStore } from '../store/store.ts';
import { CompareCharts } from './CompareCharts.tsx';
import { CompareSide } from './CompareSide.tsx';
import { CompareTables } from './CompareTables.tsx';
import '../styles/compare.css';

/**
 * Compare two runs: recordings (or the live run) A and B, overlaid on one time axis, with their
 * knobs and summaries side by side. A modal dialog over the dashboard, which stays live beneath;
 * Escape or Close leaves it, and reopening shows the same runs.
 */
export function CompareView() {
  const compare = useStore((s) => s.compare);
  const closeCompare = useStore((s) => s.closeCompare);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (compare.open && !d.open) d.showModal();
    else if (!compare.open && d.open) d.close();
  }, [compare.open]);

  const { a, b } = compare;
  return (
    <dialog
      ref={dialog}
      className="compare-dialog"
      aria-labelledby="compare-title"
      data-testid="compare-view"
      onClose={closeCompare}
    >
      {compare.open && (
        <div className="compare-body">
          <div className="compare-head">
            <h2 id="compare-title">Compare two runs</h2>
            <span className="dim">Time axis: seconds since each recording's start</span>
            <button type="button" className="btn" onClick={closeCompare} data-testid="compare-close">
              Close
            </button>
          </div>
          <div className="compare-sides">
            <CompareSide side="a" profile={a} error={compare.errors.a} />
            <CompareSide side="b" profile={b} error={compare.errors.b} />
          </div>
          {a && b ? (
            <CompareTables a={a} b={b} />
          ) : (
            <p className="dim">Pick a run for A and one for B: the summary and the knobs table appear with both.</p>
          )}
          {(a || b) && <CompareCharts a={a} b={b} />}
        </div>
      )}
    </dialog>
  );
}
