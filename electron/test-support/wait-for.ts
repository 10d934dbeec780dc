/**
 * Resolves with `probe()`'s first truthy value, checked every 20 ms: for state the fake Electron
 * changes without an event to wait on. The timeout is a hang guard, not a duration assertion.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
