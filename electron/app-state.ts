/**
 * What the desktop app remembers between runs, as small JSON files in its user-data folder: the
 * recent components and the window's bounds. Reading never fails (a missing or damaged file is
 * treated as empty); writing is atomic (write, then rename).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const RECENT_FILE = 'recent-components.json';
export const WINDOW_STATE_FILE = 'window-state.json';
export const MAX_RECENT = 10;

export async function readJson(path: string): Promise<unknown> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return value;
  } catch {
    return undefined;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, `${JSON.stringify(value, null, 2)}\n`);
  await rename(staging, path);
}

// ---- recent components ----

/** A component spec as the user opened it: an absolute `.wasm` path or `demo:<name>`. */
function isSpec(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 && !value.includes('\0');
}

export function parseRecent(raw: unknown): string[] {
  const list = typeof raw === 'object' && raw !== null && 'recent' in raw ? raw.recent : undefined;
  if (!Array.isArray(list)) return [];
  return [...new Set(list.filter(isSpec))].slice(0, MAX_RECENT);
}

/** Most recent first, no duplicates, at most `MAX_RECENT`. */
export function pushRecent(list: readonly string[], spec: string): string[] {
  return [spec, ...list.filter((s) => s !== spec)].slice(0, MAX_RECENT);
}

export class RecentComponents {
  readonly #file: string;
  #list: string[] = [];

  constructor(userData: string) {
    this.#file = join(userData, RECENT_FILE);
  }

  get list(): readonly string[] {
    return this.#list;
  }

  async load(): Promise<readonly string[]> {
    this.#list = parseRecent(await readJson(this.#file));
    return this.#list;
  }

  async add(spec: string): Promise<void> {
    this.#list = pushRecent(this.#list, spec);
    await writeJsonAtomic(this.#file, { recent: this.#list });
  }

  async clear(): Promise<void> {
    this.#list = [];
    await writeJsonAtomic(this.#file, { recent: [] });
  }
}

// ---- window bounds ----

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent: let the window manager place it (centred). */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1320, height: 880, maximized: false };
const MIN = { width: 900, height: 600 };

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseWindowState(raw: unknown): WindowState | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r: Partial<Record<keyof WindowState, unknown>> = raw;
  if (!finite(r.width) || !finite(r.height)) return null;
  const state: WindowState = {
    width: Math.round(r.width),
    height: Math.round(r.height),
    maximized: r.maximized === true,
  };
  if (finite(r.x) && finite(r.y)) {
    state.x = Math.round(r.x);
    state.y = Math.round(r.y);
  }
  return state;
}

/**
 * Where to put the window this time: the saved bounds, shrunk to fit, if its top edge (the title
 * bar) is still on one of the displays; otherwise the saved size, centred by the window manager.
 */
export function fitWindowState(saved: WindowState | null, workAreas: readonly Rect[]): WindowState {
  if (!saved) return { ...DEFAULT_WINDOW_STATE };
  const largest = workAreas.reduce<Rect | null>(
    (a, b) => (!a || b.width * b.height > a.width * a.height ? b : a),
    null,
  );
  const width = Math.max(MIN.width, Math.min(saved.width, largest?.width ?? saved.width));
  const height = Math.max(MIN.height, Math.min(saved.height, largest?.height ?? saved.height));
  const fitted: WindowState = { width, height, maximized: saved.maximized };
  if (saved.x === undefined || saved.y === undefined) return fitted;
  const titleBar: Rect = { x: saved.x, y: saved.y, width, height: 40 };
  const visible = workAreas.some((area) => overlap(titleBar, area) >= Math.min(100, width) * 20);
  if (visible) {
    fitted.x = saved.x;
    fitted.y = saved.y;
  }
  return fitted;
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export async function loadWindowState(userData: string, workAreas: readonly Rect[]): Promise<WindowState> {
  return fitWindowState(parseWindowState(await readJson(join(userData, WINDOW_STATE_FILE))), workAreas);
}

export async function saveWindowState(userData: string, state: WindowState): Promise<void> {
  await writeJsonAtomic(join(userData, WINDOW_STATE_FILE), state);
}

/** For the window's `close`: the app may quit right after, before an async write would finish. */
export function saveWindowStateSync(userData: string, state: WindowState): void {
  const path = join(userData, WINDOW_STATE_FILE);
  mkdirSync(dirname(path), { recursive: true });
  const staging = `${path}.${process.pid}.tmp`;
  writeFileSync(staging, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(staging, path);
}
