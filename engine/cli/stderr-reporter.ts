import type { EventBus } from '../events/event-bus.ts';
import type { PoolEvent } from '../protocol/index.ts';

export interface ReporterOptions {
  /** wasmtime's `--no-logging-prefix`: guest lines without `stdout [ID] :: `. */
  loggingPrefix: boolean;
  write?: (line: string) => void;
}

/** Prints what wasmtime serve prints: guest output by instance, and one `error:` line per failure. */
export function reportToStderr(bus: EventBus, options: ReporterOptions): () => void {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  return bus.subscribe((event: PoolEvent) => {
    switch (event.type) {
      case 'guest.output':
        write(options.loggingPrefix ? `${event.stream} [${event.instanceId}] :: ${event.line}` : event.line);
        break;
      case 'request.failed':
        write(`error: ${event.message} (request ${event.requestId}${event.instanceId === null ? '' : `, instance ${event.instanceId}`})`);
        break;
      case 'worker.exit':
        if (event.cause === 'trap' || event.cause === 'watchdog' || event.cause === 'worker-crashed') {
          write(`worker failed: ${event.message ?? event.cause} (instance ${event.instanceId}, ${event.cause})`);
        }
        break;
      default:
        break;
    }
  });
}
