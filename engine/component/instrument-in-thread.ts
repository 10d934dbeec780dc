/**
 * Runs `instrumentForInterrupt` on a thread of its own (instrument-thread.ts): instrumenting a
 * 14 MB componentize-js core module takes 5–15 s of synchronous binaryen work, which on the main
 * thread would freeze the front door, the dashboard's WebSocket and every pool timer for that long.
 *
 * One thread instruments all of a component's modules in turn (a component has up to ~10: the
 * guest's core and jco's small shims), and the promise settles only once that thread has exited:
 * - one thread loads binaryen once, where a thread per module loaded it once per module, all at
 *   the same time, on a machine of two cores;
 * - nothing is compiled while the thread's isolate (and binaryen's compiled code) is being torn
 *   down. V8 keeps one registry of JIT pages for the whole process, and code freed by one isolate
 *   while another compiles is where Node 24 has been seen to abort (nodejs/node#64500: a failed
 *   `CHECK` in the JIT page registry; here a SIGTRAP of the server during a cold start).
 */
import { Worker } from 'node:worker_threads';
import { threadEntry } from '../thread-entry.ts';

const INSTRUMENT_ENTRY = threadEntry(new URL('./instrument-thread.ts', import.meta.url));

export type InstrumentReply = { ok: true; modules: Uint8Array[] } | { ok: false; message: string };

/** Instruments each of `modules` on one short-lived thread; resolves, in order, once it has exited. */
export function instrumentInThread(modules: Uint8Array[]): Promise<Uint8Array[]> {
  if (modules.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const worker = new Worker(INSTRUMENT_ENTRY, { workerData: modules, stdin: false, stdout: false, stderr: true });
    // binaryen notes things it cannot read (e.g. "unknown name subsection") on stderr: not ours to print.
    worker.stderr.resume();
    let reply: InstrumentReply | null = null;
    let failure: Error | null = null;
    worker.once('message', (message: InstrumentReply) => {
      reply = message;
    });
    worker.once('error', (error: unknown) => {
      failure = error instanceof Error ? error : new Error(String(error));
    });
    worker.once('exit', (code) => {
      if (reply?.ok && reply.modules.length === modules.length) resolve(reply.modules);
      else if (reply?.ok)
        reject(new Error(`the instrumenting thread answered ${reply.modules.length} of ${modules.length} modules`));
      else if (reply) reject(new Error(reply.message));
      else reject(failure ?? new Error(`the instrumenting thread exited (code ${code}) before it answered`));
    });
  });
}
