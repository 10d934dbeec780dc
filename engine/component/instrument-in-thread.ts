/**
 * Runs `instrumentForInterrupt` on a thread of its own (instrument-thread.ts): instrumenting a
 * 14 MB componentize-js core module takes 5–15 s of synchronous binaryen work, which on the main
 * thread would freeze the front door, the dashboard's WebSocket and every pool timer for that long.
 */
import { Worker } from 'node:worker_threads';
import { threadEntry } from '../thread-entry.ts';

const INSTRUMENT_ENTRY = threadEntry(new URL('./instrument-thread.ts', import.meta.url));

/** Instruments `bytes` on a short-lived thread and resolves with the result. */
export function instrumentInThread(bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(INSTRUMENT_ENTRY, { workerData: bytes, stdin: false, stdout: false, stderr: true });
    // binaryen notes things it cannot read (e.g. "unknown name subsection") on stderr: not ours to print.
    worker.stderr.resume();
    worker.once('message', (message: { ok: true; bytes: Uint8Array } | { ok: false; message: string }) => {
      if (message.ok) resolve(message.bytes);
      else reject(new Error(message.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the instrumenting thread exited (code ${code}) before it answered`)),
    );
  });
}
