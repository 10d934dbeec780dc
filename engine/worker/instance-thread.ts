/**
 * Entry point of an instance thread (a `worker_threads` Worker). It hosts one guest instance at a
 * time, so a guest that blocks or loops forever stalls only this thread: the pool on the main
 * thread stays live and can terminate it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { ResponseSink } from '../host/p2/api.ts';
import type { GuestInstance } from './guest-instance.ts';
import { LineBuffer } from './line-buffer.ts';
import type { InstanceThreadData, ToThread } from './messages.ts';
import { Outbox } from './outbox.ts';
import { instantiateP2 } from './p2-instance.ts';

const data = workerData as InstanceThreadData;
const port = parentPort!;
const outbox = new Outbox((batch) => port.postMessage(batch));
const post = outbox.send.bind(outbox);

let guest: GuestInstance | undefined;
let outputs: { stdout: LineBuffer; stderr: LineBuffer } | undefined;

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'instantiate':
      void instantiate(message.instanceId, message.env);
      break;
    case 'request':
      void handle(message.requestId, message.init);
      break;
    case 'dispose':
      dispose();
      post({ type: 'disposed' });
      break;
  }
});

async function instantiate(instanceId: number, env: Array<[string, string]>): Promise<void> {
  const started = performance.now();
  outputs = {
    stdout: new LineBuffer((line) => post({ type: 'output', stream: 'stdout', line })),
    stderr: new LineBuffer((line) => post({ type: 'output', stream: 'stderr', line })),
  };
  const lines = outputs;
  try {
    if (data.world !== 'wasip2') throw new Error(`hosting ${data.world} components is not implemented yet`);
    guest = await instantiateP2({
      data,
      env,
      output: { write: (stream, bytes) => lines[stream].write(bytes) },
      beforeBlock: () => outbox.flush(),
    });
    post({ type: 'instantiated', instanceId, durationMs: performance.now() - started });
  } catch (error) {
    guest = undefined;
    post({ type: 'instantiate-failed', instanceId, message: describe(error) });
  }
}

async function handle(requestId: number, init: Parameters<GuestInstance['handle']>[0]): Promise<void> {
  const current = guest;
  if (!current) {
    post({ type: 'trapped', requestId, message: 'no live instance on this thread' });
    return;
  }
  const sink: ResponseSink = {
    head: (status, headers) => post({ type: 'head', requestId, status, headers }),
    error: (message) => post({ type: 'guest-error', requestId, message }),
    chunk: (bytes) => post({ type: 'chunk', requestId, bytes }),
    end: () => post({ type: 'end', requestId }),
    abort: (message) => post({ type: 'abort', requestId, message }),
  };
  outbox.hold();
  try {
    await current.handle(init, sink);
    post({ type: 'returned', requestId, memoryBytes: current.memoryBytes() });
  } catch (error) {
    // A trap poisons the instance (jco: "cannot enter component instance" afterwards).
    dispose();
    post({ type: 'trapped', requestId, message: describe(error) });
  } finally {
    outbox.release();
  }
}

function dispose(): void {
  outputs?.stdout.flush();
  outputs?.stderr.flush();
  outputs = undefined;
  guest = undefined;
}

function describe(error: unknown): string {
  if (error instanceof WebAssembly.RuntimeError) return `wasm trap: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
