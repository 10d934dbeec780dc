/** `Object.entries` that keeps a record's key type (pure). */
export function entriesOf<K extends string, V>(record: Partial<Record<K, V>>): Array<[K, V]> {
  // Object.entries types every key as string; the records given here are the dashboard's own, built
  // with keys of K only (a present key holds a value: absent ones are left out, never set undefined).
  return Object.entries(record) as Array<[K, V]>;
}
