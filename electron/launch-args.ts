/**
 * The desktop app's own command-line arguments, picked out of whatever Electron, Chromium and test
 * drivers add around them: a component (a `.wasm` path or `demo:<name>`) and `--addr HOST:PORT`.
 * Unknown flags are left alone (they belong to Chromium or Node).
 */
import { resolve } from 'node:path';
import { parseSocketAddress, type SocketAddress } from '../base/socket-address.ts';

export interface LaunchArgs {
  component: string | null;
  addr: SocketAddress | null;
  errors: string[];
}

export function isComponentSpec(arg: string): boolean {
  return /^demo:[a-z0-9-]+$/.test(arg) || arg.toLowerCase().endsWith('.wasm');
}

export function parseLaunchArgs(argv: readonly string[], cwd = process.cwd()): LaunchArgs {
  const result: LaunchArgs = { component: null, addr: null, errors: [] };
  for (let i = 0; i < argv.length; i++) {
    // biome-ignore lint/style/noNonNullAssertion: i < argv.length
    const arg = argv[i]!;
    let addr: string | undefined;
    if (arg === '--addr') addr = argv[++i] ?? '';
    else if (arg.startsWith('--addr=')) addr = arg.slice('--addr='.length);
    if (addr !== undefined) {
      try {
        result.addr = parseSocketAddress(addr);
      } catch (error) {
        result.errors.push(error instanceof Error ? error.message : String(error));
      }
      continue;
    }
    if (arg.startsWith('-') || !isComponentSpec(arg)) continue;
    result.component = arg.startsWith('demo:') ? arg : resolve(cwd, arg);
  }
  return result;
}
