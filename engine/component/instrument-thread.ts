/**
 * Entry point of the instrumenting thread (started by instrument-in-thread.ts): instruments the
 * core modules it is given, one after another, posts the results back, and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InstrumentReply } from './instrument-in-thread.ts';
import { instrumentForInterrupt } from './interrupt-instrument.ts';

if (!parentPort)
  throw new Error(
    'instrument-thread.ts is the entry point of the instrumenting thread: start it as a worker_threads Worker',
  );
const port = parentPort;

async function instrumentAll(modules: Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  // In turn, not all at once: binaryen's work is synchronous, and one at a time bounds its memory.
  for (const bytes of modules) out.push(await instrumentForInterrupt(bytes));
  return out;
}

// instrument-in-thread.ts starts this thread with the modules' bytes as its workerData.
instrumentAll(workerData as Uint8Array[]).then(
  (modules) => port.postMessage({ ok: true, modules } satisfies InstrumentReply),
  (error: unknown) =>
    port.postMessage({
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    } satisfies InstrumentReply),
);
