/**
 * wasi:random/{random,insecure,insecure-seed}. Everything comes from the OS CSPRNG: it is fast
 * enough, and "insecure" only means guests must not rely on it being secure.
 */

import { randomFillSync } from 'node:crypto';
import { toLength } from './result.ts';

/** Scratch space for u64 draws; the value is copied out as a BigInt before the next call. */
const u64Scratch = new BigUint64Array(1);

function randomBytes(len: bigint): Uint8Array {
  const n = toLength(len, 'wasi:random get-random-bytes');
  const out = new Uint8Array(n);
  if (n > 0) randomFillSync(out);
  return out;
}

function randomU64(): bigint {
  randomFillSync(u64Scratch);
  // The scratch array has one element, just filled.
  return u64Scratch[0] as bigint;
}

export const randomImports = {
  getRandomBytes: randomBytes,
  getRandomU64: randomU64,
};

export const insecureImports = {
  getInsecureRandomBytes: randomBytes,
  getInsecureRandomU64: randomU64,
};

/** Per instance, like wasmtime: the seed is drawn once and every call returns the same pair. */
export function createInsecureSeedImports(): { insecureSeed(): [bigint, bigint] } {
  const seed: [bigint, bigint] = [randomU64(), randomU64()];
  return {
    insecureSeed(): [bigint, bigint] {
      return seed;
    },
  };
}
