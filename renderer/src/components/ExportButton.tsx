import { useRef, useState, type KeyboardEvent } from 'react';
import { exportView, type ExportFormat, type ExportRequest } from '../export/export-view.ts';
import '../styles/compare.css';

/** Something that can be exported: where it is drawn, and what to call it. */
export interface ExportItem extends ExportRequest {
  /** The chart's figure (its SVG is found inside) or the timeline's canvas, looked up when clicked. */
  target(): Element | null;
}

interface Props {
  /** What it offers; or `collect`, which finds them when the menu opens (the panel's charts as drawn then). */
  items?: readonly ExportItem[];
  collect?: (menu: HTMLElement) => readonly ExportItem[];
  /** The control's accessible name (`Export Requests / s chart`): unique on the page. */
  label: string;
  testId?: string;
}

/**
 * An "Export" disclosure offering PNG and SVG for each item (one chart, or every chart of a panel).
 * A native `<details>`: reachable and opened by keyboard; Escape closes it.
 */
export function ExportButton({ items: given = [], collect, label, testId }: Props) {
  const details = useRef<HTMLDetailsElement>(null);
  const [busy, setBusy] = useState(false);
  // Shown in the menu itself, which stays open: a page notice would be hidden behind the Compare dialog.
  const [error, setError] = useState<string | null>(null);
  const [collected, setCollected] = useState<readonly ExportItem[]>([]);
  const items = collect ? collected : given;
  const onToggle = (): void => {
    const menu = details.current;
    if (collect && menu?.open) setCollected(collect(menu));
  };

  const run = async (item: ExportItem, format: ExportFormat): Promise<void> => {
    const target = item.target();
    setBusy(true);
    setError(null);
    try {
      if (!target) throw new Error(`${item.title} is not on the page`);
      await exportView(target, format, item);
      if (details.current) details.current.open = false;
    } catch (failure) {
      setError(`Could not export ${item.title}: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDetailsElement>): void => {
    if (e.key !== 'Escape' || !details.current?.open) return;
    e.stopPropagation(); // inside the Compare dialog, Escape closes this menu, not the dialog
    e.preventDefault();
    details.current.open = false;
    details.current.querySelector('summary')?.focus();
  };

  return (
    <details ref={details} className="export-menu" data-testid={testId} onKeyDown={onKeyDown} onToggle={onToggle}>
      <summary className="btn btn-small" aria-label={label} title="Save as a PNG image or an SVG drawing">
        Export
      </summary>
      <div className="export-list" role="group" aria-label={label}>
        {items.map((item) => (
          <div className="export-row" key={item.fileBase}>
            {items.length > 1 && <span className="export-name">{item.title}</span>}
            {(['png', 'svg'] as const).map((format) => (
              <button
                key={format}
                type="button"
                className="btn btn-small"
                disabled={busy}
                aria-label={`Export ${item.title} as ${format.toUpperCase()}`}
                data-testid={`export-${item.fileBase}-${format}`}
                onClick={() => void run(item, format)}
              >
                {format.toUpperCase()}
              </button>
            ))}
          </div>
        ))}
        {error && (
          <div className="export-error" role="alert">
            {error}
          </div>
        )}
      </div>
    </details>
  );
}

/**
 * Every chart of the panel this sits in: each `<figure>` with a test id, titled by its caption.
 * Found when the menu opens, so the panel's charts need no list of their own here.
 */
export function PanelChartsExport({ label, testId }: { label: string; testId: string }) {
  const collect = (menu: HTMLElement): ExportItem[] => {
    const panel = menu.closest('.panel');
    if (!panel) return [];
    return [...panel.querySelectorAll<HTMLElement>('figure[data-testid]')].map((figure) => {
      const caption = figure.querySelector('.mini-title') ?? figure.querySelector('figcaption');
      const id = figure.dataset.testid ?? 'chart';
      return { title: caption?.textContent?.trim() || id, fileBase: id, target: () => figure };
    });
  };
  return <ExportButton label={label} testId={testId} collect={collect} />;
}
