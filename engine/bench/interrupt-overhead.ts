#!/usr/bin/env node
/**
 * What interruptibility costs a guest (see component/interrupt-instrument.ts): the same wasm,
 * original and instrumented, side by side in one run, on the two worst cases for the tick: a
 * tight loop (a tick per iteration of a one-add body) and recursive calls (a tick per entry and
 * end of a two-add function).
 *
 *   node engine/bench/interrupt-overhead.ts [--runs N]
 *
 * Prints a Markdown table of median times and ratios; never asserts thresholds.
 */
import binaryen from 'binaryen';
import { instrumentForInterrupt, interruptImports } from '../component/interrupt-instrument.ts';

const WAT = `(module
  (func (export "loop") (param $n i32) (result i32) (local $sum i32)
    (loop $next
      (local.set $sum (i32.add (local.get $sum) (local.get $n)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`;

const WORKLOADS = [
  { name: 'tight loop, 1e8 adds', exportName: 'loop', arg: 100_000_000 },
  { name: 'recursive fib(32), 7e6 calls', exportName: 'fib', arg: 32 },
] as const;

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const WARMUP = 2;

const parsed = binaryen.parseText(WAT);
const original = parsed.emitBinary();
parsed.dispose();
const started = performance.now();
const instrumented = await instrumentForInterrupt(original);
const instrumentMs = performance.now() - started;

type Exports = Record<string, (arg: number) => number>;
const exported = (exports: Exports, name: string): ((arg: number) => number) => {
  const f = exports[name];
  if (f === undefined) throw new Error(`the module exports no ${name}`);
  return f;
};
async function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports): Promise<Exports> {
  // binaryen's output, instrumented or not: bytes in a plain ArrayBuffer, never a shared one.
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports);
  // The WAT above exports only the WORKLOADS' (i32) -> i32 functions.
  return instance.exports as Exports;
}
const variants = {
  original: await instantiate(original, {}),
  instrumented: await instantiate(instrumented, interruptImports(new Int32Array(new SharedArrayBuffer(8)), 0, 1)),
};

function time(run: () => number): { ms: number; result: number } {
  const start = performance.now();
  const result = run();
  return { ms: performance.now() - start, result };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no samples (--runs must be at least 1)');
  return middle;
};

const rows: string[] = [];
for (const workload of WORKLOADS) {
  const samples: Record<'original' | 'instrumented', number[]> = { original: [], instrumented: [] };
  const entry = {
    original: exported(variants.original, workload.exportName),
    instrumented: exported(variants.instrumented, workload.exportName),
  };
  // Interleaved, so a noisy spell on the machine spreads over both variants.
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const variant of ['original', 'instrumented'] as const) {
      const { ms, result } = time(() => entry[variant](workload.arg));
      if (i >= WARMUP) samples[variant].push(ms);
      if (i === 0 && variant === 'instrumented' && result !== entry.original(workload.arg)) {
        throw new Error(`${workload.name}: the instrumented module computed ${result}`);
      }
    }
  }
  const [a, b] = [median(samples.original), median(samples.instrumented)];
  rows.push(`| ${workload.name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)}x |`);
}

console.log(
  `Interrupt instrumentation overhead (Node ${process.versions.node}, median of ${RUNS} runs after ${WARMUP} warm-up; instrumenting took ${instrumentMs.toFixed(0)} ms)\n`,
);
console.log('| workload | original ms | instrumented ms | ratio |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(row);
