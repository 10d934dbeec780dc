import { createP2Host } from '../host/p2/index.ts';
import type { GuestInstance, InstantiateOptions } from './guest-instance.ts';
import { instantiateTranspiled } from './guest-instance.ts';

interface IncomingHandler {
  handle(request: unknown, responseOutparam: unknown): void;
}

/** A WASIp2 guest: `incoming-handler.handle` is a synchronous export, one call at a time. */
export async function instantiateP2({ data, env, output, beforeBlock }: InstantiateOptions): Promise<GuestInstance> {
  const host = createP2Host({ env, output, allowOutgoingHttp: data.allowOutgoingHttp, beforeBlock });
  const { exports, memoryBytes } = await instantiateTranspiled(data, host.imports);
  const handler = (exports[data.handlerInterface] ?? exports['incomingHandler']) as IncomingHandler | undefined;
  if (!handler || typeof handler.handle !== 'function') {
    throw new Error(`the instance does not export ${data.handlerInterface}.handle`);
  }
  return {
    handle(init, sink) {
      const { request, responseOutparam } = host.newRequest(init, sink);
      handler.handle(request, responseOutparam);
    },
    memoryBytes,
    concurrent: false,
  };
}
