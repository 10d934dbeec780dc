/** The keys of a guest table, typed as its keys. */
export function keysOf<T extends object>(table: T): Array<keyof T & string> {
  // Object.keys types them as string; the tables given are object literals declared `as const`,
  // whose own enumerable keys are exactly `keyof T`.
  return Object.keys(table) as Array<keyof T & string>;
}
