/**
 * Reads the leak detector's difference lines back into their parts, for the side-by-side diff.
 * The engine writes `WHAT: X on the reused instance, Y on a fresh one` (engine/leaks/compare.ts),
 * where X and Y are a status, `(absent)` or a JSON string — and a JSON string may itself contain
 * those words, so strings are read as JSON tokens rather than split on the phrases.
 */

export interface DiffValue {
  /** The value as shown: a JSON string decoded, anything else as written. */
  text: string;
  /** Written as a JSON string (a body or a header value), not a bare status or `(absent)`. */
  quoted: boolean;
}

export interface ParsedDifference {
  /** `status`, `header NAME` or `body`. */
  what: string;
  reused: DiffValue;
  fresh: DiffValue;
}

const REUSED = ' on the reused instance, ';
const FRESH = ' on a fresh one';

/** The parts of one difference line, or null when it is not in the engine's shape (show the line as is). */
export function parseDifference(line: string): ParsedDifference | null {
  const colon = line.indexOf(': ');
  if (colon <= 0) return null;
  const reused = readValue(line, colon + 2, REUSED);
  if (!reused) return null;
  const fresh = readValue(line, reused.end, FRESH);
  if (!fresh || fresh.end !== line.length) return null;
  return { what: line.slice(0, colon), reused: reused.value, fresh: fresh.value };
}

/** Reads a value starting at `from` that must be followed by `after`; returns where `after` ends. */
function readValue(line: string, from: number, after: string): { value: DiffValue; end: number } | null {
  if (line[from] === '"') {
    let i = from + 1;
    while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    if (i >= line.length || !line.startsWith(after, i + 1)) return null;
    let text: unknown;
    try {
      text = JSON.parse(line.slice(from, i + 1));
    } catch {
      return null;
    }
    return typeof text === 'string' ? { value: { text, quoted: true }, end: i + 1 + after.length } : null;
  }
  const at = line.indexOf(after, from);
  if (at < 0) return null;
  return { value: { text: line.slice(from, at), quoted: false }, end: at + after.length };
}

export interface ChangedSpan {
  prefix: string;
  /** The part of `a` that differs from `b`, and vice versa. */
  a: string;
  b: string;
  suffix: string;
}

/** Splits two strings into their common prefix and suffix and the differing middles (to highlight those). */
export function changedSpan(a: string, b: string): ChangedSpan {
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a[p] === b[p]) p++;
  if (p > 0 && isHighSurrogate(a.charCodeAt(p - 1))) p--; // never split a character
  let s = 0;
  while (s < max - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  if (s > 0 && isHighSurrogate(a.charCodeAt(a.length - 1 - s))) s--;
  return {
    prefix: a.slice(0, p),
    a: a.slice(p, a.length - s),
    b: b.slice(p, b.length - s),
    suffix: a.slice(a.length - s),
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** One short line for a difference: `body: "count=2" ≠ "count=1"` (the line itself when it is in no known shape). */
export function summarizeDifference(line: string | undefined): string {
  if (line === undefined) return '';
  const parsed = parseDifference(line);
  if (!parsed) return line;
  const show = (v: DiffValue): string => (v.quoted ? JSON.stringify(v.text) : v.text);
  return `${parsed.what}: ${show(parsed.reused)} ≠ ${show(parsed.fresh)}`;
}
