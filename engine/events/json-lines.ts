import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { EventBus } from './event-bus.ts';

/** `--events FILE` (`-` for stdout): every lifecycle event as one JSON line, for headless use. */
export function writeEventsAsJsonLines(bus: EventBus, target: string): { close(): Promise<void> } {
  const out: Writable = target === '-' ? process.stdout : createWriteStream(target, { flags: 'w' });
  const unsubscribe = bus.subscribe((event) => out.write(JSON.stringify(event) + '\n'));
  return {
    close: () =>
      new Promise((resolve) => {
        unsubscribe();
        if (out === process.stdout) resolve();
        else out.end(resolve);
      }),
  };
}
