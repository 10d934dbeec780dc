/**
 * Messages between the pool (main thread) and an executor thread. An executor hosts many guest
 * instances at once; every message names the instance it is about by its `hostId`, a number the
 * executor pool hands out (unique across every pool sharing the executors, unlike instance ids).
 */
import type { GuestFilesystem } from '../host/p2/api.ts';
import type { IncomingRequestInit } from '../../base/http-exchange.ts';
import type { OutgoingCall, World } from '../../protocol/index.ts';
import type { ResponseFlowBuffers } from './response-flow.ts';

/** What every instance of a component is made from (an executor imports the glue once). */
export interface ComponentData {
  moduleUrl: string;
  coreModules: Record<string, WebAssembly.Module>;
  world: World;
  handlerInterface: string;
  allowOutgoingHttp: boolean;
  /** Preopened directories (`--dir`) and `-S cwd`; absent: no filesystem. */
  filesystem?: GuestFilesystem;
}

export interface ExecutorData extends ComponentData {
  executorId: number;
  /** Int32 cell the executor bumps while its event loop runs (see executor-pool.ts, stalls). */
  heartbeat: SharedArrayBuffer;
}

export type ToExecutor =
  /** `interrupt`: two Int32 cells: [0] non-zero makes the instance's next fuel check throw (see
   * component/interrupt-instrument.ts), so a spinning guest stops without its thread; [1] counts
   * its checks (see executor-pool.ts, escalation). */
  | { type: 'instantiate'; hostId: number; env: Array<[string, string]>; interrupt: SharedArrayBuffer }
  /** `flow`: the response's flow control (see response-flow.ts); without it the body never waits. */
  | { type: 'request'; hostId: number; requestId: number; init: IncomingRequestInit; flow?: ResponseFlowBuffers }
  /** Drop the instance (a clean exit, or a kill after its interrupt cell was set); answered by `disposed`. */
  | { type: 'dispose'; hostId: number };

/** What one instance says; the executor sends them in per-instance batches (`FromExecutor`). */
export type FromInstance =
  | { type: 'instantiated'; durationMs: number; memoryBytes: number }
  | { type: 'instantiate-failed'; message: string }
  | { type: 'output'; stream: 'stdout' | 'stderr'; line: string }
  /** An outgoing HTTP request of the guest is over; `requestId`: the guest request that made it,
   * when the instance can tell (see request-spans.ts). */
  | { type: 'outgoing'; requestId: number | null; call: OutgoingCall }
  | { type: 'head'; requestId: number; status: number; headers: Array<[string, Uint8Array]> }
  | { type: 'guest-error'; requestId: number; message: string }
  | { type: 'chunk'; requestId: number; bytes: Uint8Array }
  /** The body is complete; `trailers`: the guest's response trailers, if it sent any. */
  | { type: 'end'; requestId: number; trailers?: Array<[string, Uint8Array]> }
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
  /** The guest trapped (or exited, or was interrupted): the instance is poisoned and dropped. */
  | { type: 'trapped'; requestId: number | null; message: string }
  | { type: 'disposed' };

export type FromExecutor =
  /** The executor imported the component's glue and is ready to instantiate. */
  | { type: 'executor-ready' }
  | { type: 'executor-failed'; message: string }
  | { type: 'batch'; hostId: number; messages: FromInstance[] };

/** The old name, kept while the instance code moves (see guest-instance.ts). */
export type InstanceThreadData = ComponentData;
