/**
 * Entry point of an executor thread (a `worker_threads` Worker): it hosts many guest instances of
 * one component at once. A thread is a whole V8 isolate (tens of MiB, ~100 ms to start); an
 * instance on a running executor costs its linear memory and starts in well under a millisecond.
 *
 * Nothing here blocks the thread: WASIp2 blocking calls suspend their instance (JSPI), WASIp3 is
 * async anyway, and a guest that spins is stopped through its interrupt cell, not by terminating
 * the thread. The heartbeat lets the pool notice an executor held by a guest that never yields.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { importGlue } from './guest-instance.ts';
import { HostedInstance } from './hosted-instance.ts';
import type { ExecutorData, FromExecutor, FromInstance, ToExecutor } from './messages.ts';

/** How often the heartbeat cell moves while the event loop turns. */
const HEARTBEAT_MS = 100;

// pool/executor.ts starts this thread with an ExecutorData (messages.ts) as its workerData.
const data = workerData as ExecutorData;
if (!parentPort)
  throw new Error('executor-thread.ts is the entry point of an executor thread: start it as a worker_threads Worker');
const port = parentPort;
const instances = new Map<number, HostedInstance>();
const heartbeat = new Int32Array(data.heartbeat);

const send = (message: FromExecutor): void => port.postMessage(message);

setInterval(() => Atomics.add(heartbeat, 0, 1), HEARTBEAT_MS).unref();

port.on('message', (message: ToExecutor) => {
  switch (message.type) {
    case 'instantiate': {
      const { hostId } = message;
      const instance = new HostedInstance(data, message.interrupt, (messages: FromInstance[]) =>
        send({ type: 'batch', hostId, messages }),
      );
      instances.set(hostId, instance);
      void instance.instantiate(message.env);
      break;
    }
    case 'request':
      void instances.get(message.hostId)?.handle(message.requestId, message.init, message.flow);
      break;
    case 'dispose': {
      const instance = instances.get(message.hostId);
      instances.delete(message.hostId);
      if (instance) instance.dispose();
      // An instance this executor never heard of has nothing to drop; the pool waits for the word.
      else send({ type: 'batch', hostId: message.hostId, messages: [{ type: 'disposed' }] });
      break;
    }
  }
});

// Import the component's glue before the first instance asks: the pool waits for this, so a
// cold pool's first request does not pay for it, and a glue that cannot load fails the start.
importGlue(data.moduleUrl).then(
  () => send({ type: 'executor-ready' }),
  (error: unknown) =>
    send({ type: 'executor-failed', message: error instanceof Error ? error.message : String(error) }),
);
