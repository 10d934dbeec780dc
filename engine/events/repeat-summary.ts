/**
 * Collapses bursts of alike stderr lines: 2,000 clients hanging up at once would otherwise print
 * 2,000 identical `error:` lines. Lines are alike when they differ only in numbers (request and
 * instance ids). The first of a kind is printed at once; repeats within the window are counted
 * and summarised in one line when the window closes. Guest output is never collapsed. A caller
 * that knows better what makes two lines alike passes a `key`: lines with the same key are alike,
 * whatever they say and whatever they start with.
 */
export const REPEAT_WINDOW_MS = 1000;

/** After an optional `[label] ` (the lines of a parked pool, bridge/session-stderr.ts). */
const COLLAPSIBLE = /^(\[[a-z]+\] )?(error|warning|worker failed|leak check failed):/;

export interface RepeatSummary {
  write(line: string, key?: string): void;
  /** Prints the pending summaries now (at exit). */
  flush(): void;
}

export function summariseRepeats(write: (line: string) => void, windowMs = REPEAT_WINDOW_MS): RepeatSummary {
  const windows = new Map<string, { first: string; repeats: number }>();
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    for (const { first, repeats } of windows.values()) {
      if (repeats > 0) write(`${first} (and ${repeats} more like it in the last ${windowMs / 1000} s)`);
    }
    windows.clear();
  };
  const summarised = (line: string, key?: string): void => {
    if (key === undefined && !COLLAPSIBLE.test(line)) {
      write(line);
      return;
    }
    const shape = key === undefined ? line.replace(/\d+/g, '#') : `key ${key}`;
    const seen = windows.get(shape);
    if (seen) {
      seen.repeats++;
      return;
    }
    windows.set(shape, { first: line, repeats: 0 });
    write(line);
    // Unref'd: a pending summary never keeps the process alive by itself.
    timer ??= setTimeout(flush, windowMs).unref();
  };
  return { write: summarised, flush };
}
