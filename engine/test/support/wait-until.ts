/** How often `waitUntil` looks again. */
const POLL_MS = 20;

/**
 * Resolves with `probe()`'s first truthy value, looking again every 20 ms. Only for state that
 * changes without an event to wait on (a fake Electron's fields, a server's counters): wait on
 * the event where there is one. The deadline is a hang guard that says what never happened, not
 * a duration assertion.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
