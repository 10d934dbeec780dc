/** Worker-thread entry: one autocannon run, reported to the parent as messages (see run-load.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { startAutocannon } from './autocannon-run.ts';
import type { ResolvedLoadOptions } from './options.ts';
import type { FromLoadThread, ToLoadThread } from './run-load.ts';

// autocannon's request timer (retimer) can ask for a negative delay when a response arrives just
// at its timeout on a busy machine; Node then warns and fires at once, which is what it meant.
const emitWarning = process.emitWarning.bind(process);
// One function for all of emitWarning's overloads, which it passes each call on to unchanged.
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (warningName(warning, rest[0]) === 'TimeoutNegativeWarning') return;
  Reflect.apply(emitWarning, undefined, [warning, ...rest]);
}) as typeof process.emitWarning;

/** The warning's type: its name, or the second argument (a type, or options with a `type`). */
function warningName(warning: string | Error, second: unknown): unknown {
  if (typeof warning !== 'string') return warning.name;
  if (typeof second === 'string') return second;
  return typeof second === 'object' && second !== null && 'type' in second ? second.type : undefined;
}

if (!parentPort)
  throw new Error('load-thread.ts is the entry point of the load thread: start it as a worker_threads Worker');
const port = parentPort;
const post = (message: FromLoadThread): void => port.postMessage(message);
// run-load.ts starts this thread with `{ options }` as its workerData.
const run = startAutocannon((workerData as { options: ResolvedLoadOptions }).options, (progress) =>
  post({ type: 'progress', progress }),
);
port.on('message', (message: ToLoadThread) => {
  if (message.type === 'stop') run.stop(message.reason);
});
run.done.then(
  (summary) => {
    post({ type: 'summary', summary });
    port.close();
  },
  (error: unknown) => {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    port.close();
  },
);
