import type { EventBus } from './event-bus.ts';
import {
  boundText,
  describeCallTarget,
  type PoolEvent,
  type RequestOutgoing,
  type WorkerMemoryGrowth,
} from '../../protocol/index.ts';
import { memoryGrowthRate, memoryGrowthSpan } from '../../base/memory-growth.ts';
import { summariseRepeats } from './repeat-summary.ts';

export interface ReporterOptions {
  /** wasmtime's `--no-logging-prefix`: guest lines without `stdout [ID] :: `. */
  loggingPrefix: boolean;
  write?: (line: string) => void;
}

/** A line on this process's stderr: where the reporter writes unless told otherwise. */
export function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Prints what wasmtime serve prints: guest output by instance, and one `error:` line per failure.
 * Outgoing requests print nothing when they succeed; a failed one prints a line, once per
 * instance and error-code a second (repeats summarised when the second is over). The one refused
 * for want of `--allow-http` is left to the line the instance prints about the flag.
 * The returned function unsubscribes and prints the summaries still pending.
 */
export function reportToStderr(bus: EventBus, options: ReporterOptions): () => void {
  const write = options.write ?? stderrLine;
  const outgoingFailures = summariseRepeats(write);
  const unsubscribe = bus.subscribe((event: PoolEvent) => {
    switch (event.type) {
      case 'request.outgoing':
        if (event.outcome === 'failed' && event.error !== null && event.error.tag !== 'HTTP-request-denied') {
          outgoingFailures.write(describeOutgoingFailure(event), `${event.instanceId} ${event.error.tag}`);
        }
        break;
      case 'guest.output':
        write(options.loggingPrefix ? `${event.stream} [${event.instanceId}] :: ${event.line}` : event.line);
        break;
      case 'request.failed':
        write(
          `error: ${event.message} (request ${event.requestId}${event.instanceId === null ? '' : `, instance ${event.instanceId}`})`,
        );
        break;
      case 'worker.exit':
        if (
          event.cause === 'trap' ||
          event.cause === 'watchdog' ||
          event.cause === 'worker-crashed' ||
          event.cause === 'executor-lost'
        ) {
          write(`worker failed: ${event.message ?? event.cause} (instance ${event.instanceId}, ${event.cause})`);
        }
        break;
      case 'leak.checked':
        if (event.verdict === 'leak' || event.verdict === 'failed-on-reuse') {
          const where = `request ${event.requestId} (${event.method} ${event.uri}), instance ${event.instanceId}, reuse #${event.reuseIndex}`;
          write(`${event.verdict === 'leak' ? 'leak' : 'failed on reuse'}: ${where}`);
          for (const difference of event.differences) write(`  ${difference}`);
        } else if (event.verdict === 'error') {
          write(`leak check failed: request ${event.requestId}, instance ${event.instanceId}: ${event.message}`);
        }
        break;
      case 'worker.memory_growth':
        write(`warning: ${describeMemoryGrowth(event)}`);
        break;
      default:
        break;
    }
  });
  return () => {
    unsubscribe();
    outgoingFailures.flush();
  };
}

/** `outgoing request failed: GET http://127.0.0.1:9/x: connection-refused (ECONNREFUSED 127.0.0.1:9) (instance 3, request 7)`. */
export function describeOutgoingFailure(event: RequestOutgoing): string {
  const detail = event.error?.detail ? ` (${event.error.detail})` : '';
  const request = event.requestId === null ? '' : `, request ${event.requestId}`;
  return `outgoing request failed: ${boundText(describeCallTarget(event), 300)}: ${event.error?.tag ?? 'failed'}${detail} (instance ${event.instanceId}${request})`;
}

/** `instance 3: memory grows ~64 KiB/request (192 KiB → 512 KiB over 5 requests)`. */
export function describeMemoryGrowth(event: WorkerMemoryGrowth): string {
  return `instance ${event.instanceId}: memory grows ${memoryGrowthRate(event)} (${memoryGrowthSpan(event)})`;
}
