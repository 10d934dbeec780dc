/**
 * Entry point of the instrumenting thread (started by instrument-in-thread.ts): instruments the
 * core module it is given and posts the result back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instrumentForInterrupt } from './interrupt-instrument.ts';

if (!parentPort)
  throw new Error(
    'instrument-thread.ts is the entry point of the instrumenting thread: start it as a worker_threads Worker',
  );
const port = parentPort;
// instrument-in-thread.ts starts this thread with the component's bytes as its workerData.
instrumentForInterrupt(workerData as Uint8Array).then(
  (bytes) => port.postMessage({ ok: true, bytes }),
  (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
);
