import type { ReactNode } from 'react';
import { SCROLL_ROOT_ATTRIBUTE } from '../hooks/useNearRows.ts';

interface PanelProps {
  title: string;
  /** Short text after the title (counts). */
  meta?: ReactNode;
  actions?: ReactNode;
  className?: string;
  testId?: string;
  children: ReactNode;
}

/** A titled panel: a fixed header strip and a body that scrolls on its own. */
export function Panel({ title, meta, actions, className, testId, children }: PanelProps) {
  return (
    <section className={`panel ${className ?? ''}`} data-testid={testId} aria-label={title}>
      <header className="panel-head">
        <h2 className="panel-title">{title}</h2>
        {meta !== undefined && <span className="panel-meta">{meta}</span>}
        <div className="panel-actions">{actions}</div>
      </header>
      <div className="panel-body" {...{ [SCROLL_ROOT_ATTRIBUTE]: true }}>
        {children}
      </div>
    </section>
  );
}
