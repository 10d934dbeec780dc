/**
 * Worker for interrupt-instrument.test.ts: two instances of one instrumented module on this
 * thread, each with its own interrupt cell. Spins the first (telling the parent from inside the
 * loop), reports how the spin ended, then calls the second.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Interrupted, interruptImports } from '../interrupt-instrument.ts';

export type SpinReport =
  | { kind: 'spinning' }
  | { kind: 'spin-ended'; interrupted: boolean; message: string }
  | { kind: 'answer'; value: number };

const { bytes, flags } = workerData as { bytes: Uint8Array<ArrayBuffer>; flags: Int32Array };
const port = parentPort!;
const send = (report: SpinReport) => port.postMessage(report);

const module = await WebAssembly.compile(bytes);
const instance = (cell: number, entered: () => void) =>
  new WebAssembly.Instance(module, { test: { entered }, ...interruptImports(flags, cell) }).exports as Record<
    string,
    (n?: number) => number
  >;
const spinner = instance(0, () => send({ kind: 'spinning' }));
const bystander = instance(1, () => {});

try {
  spinner.spin_reporting!();
  send({ kind: 'spin-ended', interrupted: false, message: 'returned' });
} catch (error) {
  send({ kind: 'spin-ended', interrupted: error instanceof Interrupted, message: String(error) });
}
send({ kind: 'answer', value: bystander.sum!(100) });
