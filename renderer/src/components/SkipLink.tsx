import type { MouseEvent, ReactNode } from 'react';

/**
 * A link that moves keyboard focus to `target` (an element with that id and tabIndex -1), shown
 * only while focused. It focuses the target itself instead of following `#id`, so the page's URL
 * (which carries the dashboard token) is left alone and panels that scroll on their own work too.
 */
export function SkipLink({ target, children, testId }: { target: string; children: ReactNode; testId?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    const element = document.getElementById(target);
    if (!element) return;
    e.preventDefault();
    element.focus();
  };
  return (
    <a className="skip-link" href={`#${target}`} onClick={onClick} data-testid={testId}>
      {children}
    </a>
  );
}
