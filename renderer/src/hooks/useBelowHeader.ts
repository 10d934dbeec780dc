import { useEffect, useState } from 'react';

/**
 * The page's top chrome a side panel must leave uncovered: the header (its Export, theme and
 * connection controls) and the bars that come and go beneath it, the lost-connection banner (its
 * Retry) and the replay bar (its scrubber and the way back to live).
 */
const TOP_CHROME = '.app-header, .connection-banner, .replay-bar';

/**
 * Where a fixed side panel should start so it leaves the top chrome uncovered: the bottom edge of
 * the lowest of it in view, 0 once the page has scrolled it away. The header wraps at narrow
 * widths and the bars appear while the panel is open, so it is measured, not assumed.
 */
export function useBelowHeader(): number {
  const [top, setTop] = useState(0);
  useEffect(() => {
    const app = document.querySelector('.app');
    if (!app) return;
    const resize = new ResizeObserver(() => measure());
    const measure = (): void => {
      let bottom = 0;
      for (const el of app.querySelectorAll(TOP_CHROME)) bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
      setTop(Math.max(0, Math.round(bottom)));
    };
    const observeChrome = (): void => {
      resize.disconnect();
      for (const el of app.querySelectorAll(TOP_CHROME)) resize.observe(el);
      measure();
    };
    observeChrome();
    // A banner or the replay bar appearing or leaving is a child of `.app` added or removed.
    const children = new MutationObserver(observeChrome);
    children.observe(app, { childList: true });
    window.addEventListener('scroll', measure, { passive: true });
    window.addEventListener('resize', measure);
    return () => {
      children.disconnect();
      resize.disconnect();
      window.removeEventListener('scroll', measure);
      window.removeEventListener('resize', measure);
    };
  }, []);
  return top;
}
