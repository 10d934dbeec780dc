/**
 * How a host function reports the `err` side of a WIT `result<T, E>` to jco glue.
 *
 * The glue wraps every result-returning import in try/catch and turns a thrown value into
 * `{ tag: 'err', val }`, taking `val` from the thrown value's own `payload` property. We throw
 * plain objects (not `Error`s): no stack trace is captured, which keeps expected failures
 * (a stream reaching its end, a header rejected) cheap on the request hot path.
 *
 * A real `Error` thrown from a host function is not a result: the glue rethrows it and the guest
 * traps. That is what we want for contract violations (e.g. setting a response twice).
 */

/** What the glue unwraps: `{ payload: E }`. */
export interface ResultErr<E> {
  readonly payload: E;
}

/** Throws `err(payload)` for the current result-returning import. */
export function fail(payload: unknown): never {
  throw { payload } satisfies ResultErr<unknown>;
}

/** `err(())`: for WIT `result` / `result<T>` with no error type. Shared, never mutated. */
export const ERR_UNIT: ResultErr<undefined> = Object.freeze({ payload: undefined });

/** Throws `err(())`. */
export function failUnit(): never {
  throw ERR_UNIT;
}

/** A host-side contract violation: the glue turns it into a guest trap. */
export class HostTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostTrap';
  }
}

/** Converts a WIT u64 length (BigInt) to a JS number, trapping on absurd sizes. */
export function toLength(len: bigint, what: string): number {
  if (len > 0x7fff_ffffn) throw new HostTrap(`${what}: length ${len} is too large`);
  return Number(len);
}

/** Like `toLength`, but clamps instead of trapping (for reads/skips, where asking for more than is
 * available is normal and means "as much as you have"). */
export function clampLength(len: bigint, max: number): number {
  if (len > 0xffff_ffffn) return max;
  const n = Number(len);
  return n < max ? n : max;
}
