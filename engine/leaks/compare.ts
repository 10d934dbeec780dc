/** One HTTP answer, as compared by the leak detector. Header names are lower case. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Connection-level headers, set per connection by the front door, never by the guest. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding'];
/** Bodies in a diff line are cut to stay readable. */
const SHOWN_BODY_CHARS = 200;

/** Header pairs as the guest sent them → one value per lower-case name (repeats joined, as HTTP allows). */
export function headerRecord(pairs: ReadonlyArray<readonly [string, Uint8Array | string]>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [rawName, rawValue] of pairs) {
    const name = rawName.toLowerCase();
    const value = typeof rawValue === 'string' ? rawValue : Buffer.from(rawValue).toString('latin1');
    record[name] = name in record ? `${record[name]}, ${value}` : value;
  }
  return record;
}

/**
 * Differences between what a reused instance answered and what a fresh one answered to the same
 * request, one readable line each (empty: the same answer).
 */
export function compareAnswers(reused: Answer, fresh: Answer, ignoredHeaders: Iterable<string>): string[] {
  const ignored = new Set([...ignoredHeaders, ...HOP_BY_HOP].map((name) => name.toLowerCase()));
  const differences: string[] = [];
  if (reused.status !== fresh.status)
    differences.push(`status: ${reused.status} on the reused instance, ${fresh.status} on a fresh one`);
  const names = new Set([...Object.keys(reused.headers), ...Object.keys(fresh.headers)]);
  for (const name of [...names].sort()) {
    if (ignored.has(name) || reused.headers[name] === fresh.headers[name]) continue;
    differences.push(
      `header ${name}: ${show(reused.headers[name])} on the reused instance, ${show(fresh.headers[name])} on a fresh one`,
    );
  }
  if (!Buffer.from(reused.body).equals(Buffer.from(fresh.body))) {
    differences.push(`body: ${quote(reused.body)} on the reused instance, ${quote(fresh.body)} on a fresh one`);
  }
  return differences;
}

function show(value: string | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function quote(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8');
  return JSON.stringify(text.length > SHOWN_BODY_CHARS ? `${text.slice(0, SHOWN_BODY_CHARS)}…` : text);
}
