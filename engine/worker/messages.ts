/**
 * Messages between the pool (main thread) and an instance thread. The thread hosts one guest
 * instance at a time; after a clean exit the pool may recycle it for a *fresh* instance.
 */
import type { IncomingRequestInit } from '../host/p2/api.ts';
import type { World } from '../protocol/index.ts';
import type { ResponseFlowBuffers } from './response-flow.ts';

export interface InstanceThreadData {
  moduleUrl: string;
  coreModules: Record<string, WebAssembly.Module>;
  world: World;
  handlerInterface: string;
  allowOutgoingHttp: boolean;
}

export type ToThread =
  | { type: 'instantiate'; instanceId: number; env: Array<[string, string]> }
  /** `flow`: the response's flow control (see response-flow.ts); without it the body never waits. */
  | { type: 'request'; requestId: number; init: IncomingRequestInit; flow?: ResponseFlowBuffers }
  | { type: 'dispose' };

export type FromThread =
  | { type: 'instantiated'; instanceId: number; durationMs: number }
  | { type: 'instantiate-failed'; instanceId: number; message: string }
  | { type: 'output'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'head'; requestId: number; status: number; headers: Array<[string, Uint8Array]> }
  | { type: 'guest-error'; requestId: number; message: string }
  | { type: 'chunk'; requestId: number; bytes: Uint8Array }
  | { type: 'end'; requestId: number }
  | { type: 'abort'; requestId: number; message: string }
  /** The guest's handler finished with this request (p2: `handle` returned). */
  | { type: 'returned'; requestId: number; memoryBytes: number }
  /** WASIp3: the thread's event loop went idle after the last accept, i.e. every guest task is
   * waiting on I/O; the worker may take on more concurrent requests (spec §3.6). */
  | { type: 'yielded' }
  /** WASIp3: whether the guest accepts another call now (false while it holds backpressure). */
  | { type: 'ready'; ready: boolean }
  /** WASIp3: guest activity that outlives `handle` (bodies still streaming, spawned tasks). */
  | { type: 'tasks'; pending: number }
  /** The guest trapped (or exited): the instance is poisoned and must not be used again. */
  | { type: 'trapped'; requestId: number | null; message: string }
  | { type: 'disposed' };
