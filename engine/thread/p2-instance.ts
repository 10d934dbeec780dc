import { createP2Host } from '../host/p2/index.ts';
import type { GuestInstance, InstantiateOptions } from './guest-instance.ts';
import { instantiateTranspiled } from './guest-instance.ts';

interface IncomingHandler {
  /** Async through JSPI: settles when the guest's `handle` has returned (or trapped). */
  handle(request: unknown, responseOutparam: unknown): Promise<void>;
}

/**
 * A WASIp2 guest. Its `incoming-handler.handle` is a JSPI export: a blocking call inside it
 * suspends only this instance, so instances share a thread. Still one call at a time per
 * instance (the pool's rule for WASIp2). Aborting `signal` fails the instance's pending waits,
 * so a suspended `handle` rejects with the abort reason.
 */
export async function instantiateP2({
  data,
  env,
  output,
  beforeBlock,
  signal,
  interrupt,
  onOutgoingRequest,
}: InstantiateOptions): Promise<GuestInstance> {
  const host = createP2Host({
    env,
    output,
    allowOutgoingHttp: data.allowOutgoingHttp,
    onOutgoingRequest,
    beforeBlock,
    signal,
    filesystem: data.filesystem,
  });
  const { exports, memoryBytes } = await instantiateTranspiled(data, host.imports, interrupt);
  // The glue's exports are untyped; what the call needs (a `handle` function) is checked below.
  const handler = (exports[data.handlerInterface] ?? exports['incomingHandler']) as IncomingHandler | undefined;
  if (!handler || typeof handler.handle !== 'function') {
    throw new Error(`the instance does not export ${data.handlerInterface}.handle`);
  }
  return {
    handle(init, sink) {
      const { request, responseOutparam } = host.newRequest(init, sink);
      return handler.handle(request, responseOutparam);
    },
    memoryBytes,
    concurrent: false,
  };
}
