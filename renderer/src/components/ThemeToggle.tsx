import type { ThemePreference } from '../store/shape.ts';
import { useStore } from '../store/store.ts';

const NEXT: Record<ThemePreference, ThemePreference> = { system: 'light', light: 'dark', dark: 'system' };
const ICON: Record<ThemePreference, string> = { system: '◐', light: '☀', dark: '☾' };

export function ThemeToggle() {
  const theme = useStore((s) => s.ui.theme);
  const setUi = useStore((s) => s.setUi);
  return (
    <button
      type="button"
      className="btn btn-icon"
      data-testid="theme-toggle"
      data-theme-preference={theme}
      title={`Theme: ${theme} (click for ${NEXT[theme]})`}
      aria-label={`Theme: ${theme}`}
      onClick={() => setUi({ theme: NEXT[theme] })}
    >
      {ICON[theme]}
    </button>
  );
}
