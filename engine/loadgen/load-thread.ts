/** Worker-thread entry: one autocannon run, reported to the parent as messages (see run-load.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { startAutocannon } from './autocannon-run.ts';
import type { ResolvedLoadOptions } from './options.ts';
import type { FromLoadThread, ToLoadThread } from './run-load.ts';

// autocannon's request timer (retimer) can ask for a negative delay when a response arrives just
// at its timeout on a busy machine; Node then warns and fires at once, which is what it meant.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name =
    typeof warning === 'string'
      ? typeof rest[0] === 'string'
        ? rest[0]
        : (rest[0] as { type?: string } | undefined)?.type
      : warning.name;
  if (name === 'TimeoutNegativeWarning') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

if (!parentPort)
  throw new Error('load-thread.ts is the entry point of the load thread: start it as a worker_threads Worker');
const port = parentPort;
const post = (message: FromLoadThread): void => port.postMessage(message);
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
