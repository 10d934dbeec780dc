/**
 * Poolscope's own WASIp2 host: `createP2Host` builds the import object for one guest instance
 * (see api.ts for the contract). Interfaces without per-instance state share module-level
 * objects. Per instance are the environment, standard streams, preopened directories (and the
 * files opened through them), insecure seed, network token, outgoing-HTTP policy, and whatever can wait (poll, clocks, what the guest builds in
 * wasi:http/types): waits go through the instance's own `Waiter` (its signal, its beforeBlock).
 */

import type { P2Host, P2HostOptions } from './api.ts';
import type { IncomingRequestInit, ResponseSink } from '../../../base/http-exchange.ts';
import { createCliImports } from './cli.ts';
import { createMonotonicClockImports, wallClockImports } from './clocks.ts';
import { createFilesystemImports } from './filesystem.ts';
import { IncomingRequest } from './http-incoming.ts';
import { ResponseOutparam } from './http-response.ts';
import { createHttpTypesImports } from './http-types.ts';
import { ioErrorImports } from './io-error.ts';
import { OutgoingClient } from '../outgoing/client.ts';
import { createOutgoingHandlerImports } from './outgoing-handler.ts';
import { createPollImports } from './poll.ts';
import { createInsecureSeedImports, insecureImports, randomImports } from './random.ts';
import { createSocketsImports } from './sockets.ts';
import { streamsImports } from './streams.ts';
import { Waiter } from './wait.ts';

export { GuestExit } from './api.ts';
export type { GuestFilesystem, GuestOutputSink, P2Host, P2HostOptions, Preopen } from './api.ts';

/** Unversioned names of every interface `createP2Host` provides. */
export const SUPPORTED_INTERFACES: ReadonlySet<string> = new Set([
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
  'wasi:sockets/network',
  'wasi:sockets/instance-network',
  'wasi:sockets/tcp',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp',
  'wasi:sockets/udp-create-socket',
  'wasi:sockets/ip-name-lookup',
  'wasi:http/types',
  'wasi:http/outgoing-handler',
]);

export function createP2Host(options: P2HostOptions): P2Host {
  const waiter = new Waiter({ signal: options.signal, beforeBlock: options.beforeBlock });
  const outgoing = new OutgoingClient({
    allow: options.allowOutgoingHttp === true,
    onRecord: options.onOutgoingRequest,
    signal: options.signal,
  });
  const imports: Record<string, Record<string, unknown>> = {
    'wasi:io/error': ioErrorImports,
    'wasi:io/poll': createPollImports(waiter),
    'wasi:io/streams': streamsImports,
    'wasi:clocks/monotonic-clock': createMonotonicClockImports(waiter),
    'wasi:clocks/wall-clock': wallClockImports,
    'wasi:random/random': randomImports,
    'wasi:random/insecure': insecureImports,
    'wasi:random/insecure-seed': createInsecureSeedImports(),
    ...createCliImports(options.env, options.output, waiter, options.filesystem?.initialCwd),
    ...createFilesystemImports(options.filesystem?.preopens ?? [], waiter, options.signal),
    ...createSocketsImports(),
    'wasi:http/types': createHttpTypesImports(waiter),
    'wasi:http/outgoing-handler': createOutgoingHandlerImports(outgoing, waiter),
  };

  return {
    imports,
    newRequest(init: IncomingRequestInit, sink: ResponseSink) {
      return { request: new IncomingRequest(init, waiter), responseOutparam: new ResponseOutparam(sink) };
    },
    supportedInterfaces: SUPPORTED_INTERFACES,
    outgoing,
  };
}
