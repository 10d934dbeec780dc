import { InvalidArgumentError } from 'commander';
import { parseBytes } from '../config/bytes.ts';
import { parseDuration } from '../config/duration.ts';

/** Commander argument parsers that turn bad values into precise usage errors. */

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number(value);
}

export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `HOST:PORT`, `[IPv6]:PORT`, or a bare port. */
export function socketAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new InvalidArgumentError(`'${value}' is not an address of the form HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free one)`);
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

/** `NAME=VALUE`, or `NAME` to pass the variable through from Poolscope's own environment. */
export function envVar(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const eq = value.indexOf('=');
  if (eq === 0) throw new InvalidArgumentError(`'${value}' has no variable name`);
  if (eq > 0) return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
  const inherited = process.env[value];
  return inherited === undefined ? previous : [...previous, [value, inherited]];
}

/** wasmtime's `-W name=value` options serve uses (`timeout`, `max-memory-size`); others are refused by name. */
export function wasmOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  const optionValue = eq < 0 ? 'y' : value.slice(eq + 1);
  if (name === 'timeout') duration(optionValue);
  else if (name === 'max-memory-size') wasmtimeBytes(optionValue, '-W max-memory-size');
  else if (name !== 'component-model-async') {
    throw new InvalidArgumentError(`-W ${name} is not supported by poolscope (supported: -W timeout=DUR, -W max-memory-size=BYTES)`);
  }
  return { ...previous, [name]: optionValue };
}

/**
 * A byte count as wasmtime reads one (`268435456`, `0x10000000`, `_` ignored: `268_435_456`), or
 * with a binary unit (`256MiB`), which wasmtime lacks but people type.
 */
export function wasmtimeBytes(value: string, flag: string): number {
  const digits = value.trim().replaceAll('_', '');
  const hex = /^0x([0-9a-f]+)$/i.exec(digits);
  let bytes: number;
  try {
    bytes = hex ? parseInt(hex[1]!, 16) : parseBytes(digits);
  } catch {
    throw new InvalidArgumentError(`${flag}=${value}: not a size: use bytes (268435456, 0x10000000) or a unit (256MiB, 1GiB)`);
  }
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError(`${flag}=${value}: too large a size`);
  return bytes;
}

/** wasmtime's `-S name[=value]` options: the WASI proposals are always linked here, so they are accepted and ignored. */
const KNOWN_WASI_OPTIONS = new Set(['cli', 'p3', 'http', 'common']);
export function wasiOption(value: string, previous: string[] = []): string[] {
  for (const part of value.split(',')) {
    const name = part.split('=')[0]!;
    if (!KNOWN_WASI_OPTIONS.has(name)) {
      throw new InvalidArgumentError(`-S ${name} is not supported by poolscope (accepted for compatibility: ${[...KNOWN_WASI_OPTIONS].join(', ')})`);
    }
  }
  return [...previous, value];
}

/** `--leak-check`: `off`, `all`, or the fraction of reused answers to replay (`0.1` or `10%`). */
export function leakCheckMode(value: string): { mode: 'off' | 'all' } | { mode: 'sample'; sampleRate: number } {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === 'all') return { mode: v };
  const percent = v.endsWith('%');
  const fraction = Number(percent ? v.slice(0, -1) : v) / (percent ? 100 : 1);
  if (!/^\d*\.?\d+%?$/.test(v) || !(fraction > 0 && fraction <= 1)) {
    throw new InvalidArgumentError(`'${value}' is not a leak-check mode: use off, all, or a fraction of reused answers to replay (0.1 or 10%)`);
  }
  return fraction === 1 ? { mode: 'all' } : { mode: 'sample', sampleRate: fraction };
}

/** `--max-request-body-size`: bytes, or with a unit (64KiB, 16MiB). */
export function byteSize(value: string): number {
  try {
    return parseBytes(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * wasmtime's `-O name[=value]` options. `pooling-total-component-instances=N` is the live-instance
 * cap (Poolscope's `--max-instances`); `pooling-allocator` is accepted (the cap is what it means here).
 */
export function optOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  const optionValue = eq < 0 ? 'y' : value.slice(eq + 1);
  if (name === 'pooling-total-component-instances') wholeNumber(optionValue);
  else if (name !== 'pooling-allocator') {
    throw new InvalidArgumentError(`-O ${name} is not supported by poolscope (supported: -O pooling-total-component-instances=N)`);
  }
  return { ...previous, [name]: optionValue };
}
