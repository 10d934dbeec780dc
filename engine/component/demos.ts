import { join } from 'node:path';
import { DEMO_GUESTS, ensureGuestsBuilt } from '../../assets/guests/build.ts';
import { ComponentLoadError } from './errors.ts';

export function demoNames(): string[] {
  return Object.keys(DEMO_GUESTS);
}

export function demoDescriptions(): Array<{ name: string; description: string }> {
  return Object.entries(DEMO_GUESTS).map(([name, description]) => ({ name: `demo:${name}`, description }));
}

/** `demo:<name>` → the built guest's path; builds the demo guests first if they are not cached. */
export async function resolveDemoGuest(name: string): Promise<string> {
  if (!Object.hasOwn(DEMO_GUESTS, name)) {
    throw new ComponentLoadError(
      `unknown demo guest 'demo:${name}'; available: ${demoNames()
        .map((n) => `demo:${n}`)
        .join(', ')}`,
    );
  }
  // After a fresh checkout the first demo builds them all (tens of seconds): say so rather than hang silently.
  const { dir } = await ensureGuestsBuilt({
    log: (line) => void process.stderr.write(`${line}\n`),
    quietWhenCurrent: true,
  });
  return join(dir, `${name}.wasm`);
}
