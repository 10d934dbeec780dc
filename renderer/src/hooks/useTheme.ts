import { useEffect, useLayoutEffect, useState } from 'react';
import { entriesOf } from '../model/entries.ts';
import type { ThemePreference } from '../store/shape.ts';
import { useStore } from '../store/store.ts';

const KEY = 'poolscope.theme';
const query = (): MediaQueryList => window.matchMedia('(prefers-color-scheme: dark)');

export function storedTheme(): ThemePreference {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/** The theme in use ('light' | 'dark'), following the system unless the user picked one. */
export function useResolvedTheme(): 'light' | 'dark' {
  const preference = useStore((s) => s.ui.theme);
  const [systemDark, setSystemDark] = useState(() => query().matches);
  useEffect(() => {
    const mq = query();
    const onChange = (): void => setSystemDark(mq.matches);
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);
  return preference === 'system' ? (systemDark ? 'dark' : 'light') : preference;
}

/** Applies the preference to <html data-theme> (CSS follows the system when absent) and remembers it. */
export function useApplyTheme(): void {
  const preference = useStore((s) => s.ui.theme);
  useLayoutEffect(() => {
    const root = document.documentElement;
    if (preference === 'system') delete root.dataset.theme;
    else root.dataset.theme = preference;
    try {
      if (preference === 'system') window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, preference);
    } catch {
      // storage may be unavailable (file:// in some shells); the toggle still works for the session
    }
  }, [preference]);
}

export interface Palette {
  text: string;
  dim: string;
  grid: string;
  accent: string;
  ok: string;
  warn: string;
  err: string;
  purple: string;
  teal: string;
  lane: string;
  laneAlt: string;
  starting: string;
}

const VARS: Record<keyof Palette, string> = {
  text: '--text',
  dim: '--text-dim',
  grid: '--grid',
  accent: '--accent',
  ok: '--ok',
  warn: '--warn',
  err: '--err',
  purple: '--purple',
  teal: '--teal',
  lane: '--lane',
  laneAlt: '--lane-alt',
  starting: '--starting',
};

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  // Filled just below: the loop sets every key of Palette (VARS has them all).
  const palette = {} as Palette;
  for (const [key, name] of entriesOf(VARS)) palette[key] = style.getPropertyValue(name).trim() || '#888';
  return palette;
}

/** The theme's colours from the CSS variables, for SVG charts and the canvas (read after the theme applied). */
export function usePalette(): Palette {
  const theme = useResolvedTheme();
  const [palette, setPalette] = useState(readPalette);
  useEffect(() => setPalette(readPalette()), [theme]);
  return palette;
}
