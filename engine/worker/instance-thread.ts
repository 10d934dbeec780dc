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
import { instantiateP3 } from './p3-instance.ts';
import { ResponseWindow, type ResponseFlowBuffers } from './response-flow.ts';

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
      void handle(message.requestId, message.init, message.flow);
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
    const options = {
      data,
      env,
      output: { write: (stream: 'stdout' | 'stderr', bytes: Uint8Array) => lines[stream].write(bytes) },
      beforeBlock: () => outbox.flush(),
    };
    guest = data.world === 'wasip2' ? await instantiateP2(options) : await instantiateP3(options);
    guest.watchTasks?.((pending) => post({ type: 'tasks', pending }));
    guest.watchReady?.((ready) => post({ type: 'ready', ready }));
    guest.onTrap?.((error) => {
      dispose();
      post({ type: 'trapped', requestId: null, message: describe(error) });
    });
    post({ type: 'instantiated', instanceId, durationMs: performance.now() - started });
  } catch (error) {
    guest = undefined;
    post({ type: 'instantiate-failed', instanceId, message: describe(error) });
  }
}

async function handle(requestId: number, init: Parameters<GuestInstance['handle']>[0], flow: ResponseFlowBuffers | undefined): Promise<void> {
  const current = guest;
  if (!current) {
    post({ type: 'trapped', requestId, message: 'no live instance on this thread' });
    return;
  }
  const window = flow ? new ResponseWindow(flow) : undefined;
  const sink: ResponseSink = {
    head: (status, headers) => post({ type: 'head', requestId, status, headers }),
    error: (message) => post({ type: 'guest-error', requestId, message }),
    chunk: (bytes) => {
      window?.sent(bytes.byteLength);
      post({ type: 'chunk', requestId, bytes });
    },
    end: () => post({ type: 'end', requestId }),
    abort: (message) => post({ type: 'abort', requestId, message }),
    ...(window ? { window } : {}),
  };
  if (current.concurrent) {
    // Runs after the guest has done all it can synchronously: every task now waits on I/O.
    setImmediate(() => post({ type: 'yielded' }));
  } else {
    outbox.hold();
  }
  try {
    await current.handle(init, sink);
    post({ type: 'returned', requestId, memoryBytes: current.memoryBytes() });
  } catch (error) {
    // A trap poisons the instance (jco: "cannot enter component instance" afterwards).
    dispose();
    post({ type: 'trapped', requestId, message: describe(error) });
  } finally {
    if (!current.concurrent) outbox.release();
  }
}

function dispose(): void {
  outputs?.stdout.flush();
  outputs?.stderr.flush();
  outputs = undefined;
  guest?.dispose?.();
  guest = undefined;
}

function describe(error: unknown): string {
  // jco's glue already words some traps as wasmtime does ("wasm trap: wasm `unreachable` …"): prefix only V8's own.
  if (error instanceof WebAssembly.RuntimeError) return error.message.startsWith('wasm trap') ? error.message : `wasm trap: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
