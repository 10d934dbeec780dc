import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parseBytes } from '../../base/bytes.ts';
import { parseDuration } from '../../base/duration.ts';
import { parseSocketAddress, type SocketAddress } from '../../base/socket-address.ts';
import {
  ALWAYS_ON_S_OPTIONS,
  NETWORK_S_OPTIONS,
  NO_NETWORK_REASON,
  REFUSED_O_REASON,
  refusedWasiOption,
  refusedWasmOption,
  unsupported,
  WASMTIME_O_OPTIONS,
  WASMTIME_S_OPTIONS,
  WASMTIME_W_OPTIONS,
} from './wasmtime-flags.ts';

/** Commander argument parsers that turn bad values into precise usage errors. */

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number(value);
}

export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `HOST:PORT`, `[IPv6]:PORT`, or a bare port. */
export function socketAddress(value: string): SocketAddress {
  try {
    return parseSocketAddress(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * `--env NAME=VALUE`, or `--env NAME` to pass NAME through from Poolscope's own environment, as
 * wasmtime does: when NAME is not set here the guest does not see it at all (wasmtime's
 * `p2_cli_serve_echo_env`: `--env=FOO=bar --env=BAR` with BAR unset gives the guest FOO only).
 * Repeats are kept in order, duplicates included (wasmtime pushes each onto the guest's list).
 */
export function envVar(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const eq = value.indexOf('=');
  if (eq === 0 || value === '') throw new InvalidArgumentError(`'${value}' has no variable name`);
  if (eq > 0) return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
  const inherited = process.env[value];
  return inherited === undefined ? previous : [...previous, [value, inherited]];
}

/** One `--dir` as typed: the host directory, and the name the guest sees it by. */
export interface DirSpec {
  host: string;
  guest: string;
}

/**
 * `--dir HOST[::GUEST]`, wasmtime's syntax (src/common.rs `parse_dirs`): `HOST` alone is seen by
 * the guest under the same name, `HOST::GUEST` under `GUEST`. Read-write, as in wasmtime, whose
 * CLI has no read-only form. Whether HOST is a directory is checked when serving starts.
 */
export function dirOption(value: string, previous: DirSpec[] = []): DirSpec[] {
  const parts = value.split('::');
  if (parts.length > 2)
    throw new InvalidArgumentError(`'${value}' has more than one '::' (the form is HOST or HOST::GUEST)`);
  // biome-ignore lint/style/noNonNullAssertion: split returns at least one element
  const host = parts[0]!;
  if (host === '')
    throw new InvalidArgumentError(`'${value}' names no host directory (the form is HOST or HOST::GUEST)`);
  return [...previous, { host, guest: parts[1] ?? host }];
}

/**
 * `-H 'name: value'` (or `--header`), or `-H @FILE` with one header per line: wasmtime's
 * RequestHeaders (src/commands/serve.rs). The name is trimmed and lowercased; the value loses its
 * leading whitespace.
 */
export function headerOption(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  if (value.startsWith('@')) {
    const file = value.slice(1);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(
        `failed to read header file \`${file}\`: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return text
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .reduce((all, line) => [...all, parseHeader(line)], previous);
  }
  return [...previous, parseHeader(value)];
}

function parseHeader(header: string): [string, string] {
  const colon = header.indexOf(':');
  if (colon < 0) throw new InvalidArgumentError(`header \`${header}\` is missing \`:\``);
  const name = header.slice(0, colon).trim().toLowerCase();
  const value = header.slice(colon + 1).replace(/^[ \t]+/, '');
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name))
    throw new InvalidArgumentError(`invalid header name in header \`${header}\``);
  // HeaderValue::from_str: no control characters but tab (UTF-8 text beyond ASCII is fine).
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value))
    throw new InvalidArgumentError(`invalid header value in header \`${header}\``);
  return [name, value];
}

/** A wasmtime `-X key[=value][,key[=value]…]` argument, split as crates/cli-flags/src/opt.rs does. */
function groupEntries(value: string): Array<[name: string, value: string | undefined]> {
  return value.split(',').map((entry) => {
    const eq = entry.indexOf('=');
    return eq < 0 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
  });
}

/** A wasmtime boolean option value: nothing, y/yes/true, or n/no/false. */
export function wasmtimeBool(value: string | undefined, flag: string): boolean {
  if (value === undefined || value === 'y' || value === 'yes' || value === 'true') return true;
  if (value === 'n' || value === 'no' || value === 'false') return false;
  throw new InvalidArgumentError(`${flag}=${value}: unknown boolean flag \`${value}\`, only yes,no,<nothing> accepted`);
}

const SUPPORTED_W = 'supported: -W timeout=DUR, -W max-memory-size=BYTES';

/**
 * wasmtime's `-W name=value[,…]` options serve uses: `timeout`, `max-memory-size`, and
 * `component-model` / `component-model-async` (always on here). Every other name is refused by
 * name (`UnsupportedFlagError`), with why.
 */
export function wasmOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const result = { ...previous };
  for (const [name, optionValue] of groupEntries(value)) {
    if (name === 'timeout') duration(optionValue ?? '');
    else if (name === 'max-memory-size') wasmtimeBytes(optionValue ?? '', '-W max-memory-size');
    else if (name === 'component-model' || name === 'component-model-async') {
      if (!wasmtimeBool(optionValue, `-W ${name}`)) {
        throw unsupported(
          `-W ${name}=${optionValue}`,
          name === 'component-model'
            ? 'components are required for the serve command, and must not be disabled'
            : "jco always enables the component model's async support (WASIp3 guests need it)",
        );
      }
    } else if (WASMTIME_W_OPTIONS.has(name))
      throw unsupported(`-W ${name}`, `${refusedWasmOption(name)} (${SUPPORTED_W})`);
    else throw unsupported(`-W ${name}`, `wasmtime has no such -W option either (${SUPPORTED_W})`);
    result[name] = optionValue ?? 'y';
  }
  return result;
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
    // biome-ignore lint/style/noNonNullAssertion: the group is required by the pattern
    bytes = hex ? parseInt(hex[1]!, 16) : parseBytes(digits);
  } catch {
    throw new InvalidArgumentError(
      `${flag}=${value}: not a size: use bytes (268435456, 0x10000000) or a unit (256MiB, 1GiB)`,
    );
  }
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError(`${flag}=${value}: too large a size`);
  return bytes;
}

/**
 * wasmtime's `-S name[=value][,…]` options. Honoured: `inherit-env` (every host variable, before
 * the `--env` ones) and `cwd=PATH` (the guest's initial working directory). Accepted because
 * Poolscope always does what they ask: `cli`, `common`, `p3`, `http`, `cli-exit-with-code`,
 * `network-error-code` (refused when turned off), and `tcp`, `udp`, `allow-ip-name-lookup`,
 * `inherit-network` turned off (refused when on: guests get no network). Every other name is
 * refused by name, with why.
 */
export function wasiOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const result = { ...previous };
  for (const [name, optionValue] of groupEntries(value)) {
    const always = ALWAYS_ON_S_OPTIONS.get(name);
    if (always !== undefined) {
      if (!wasmtimeBool(optionValue, `-S ${name}`)) throw unsupported(`-S ${name}=${optionValue}`, always);
    } else if (NETWORK_S_OPTIONS.has(name)) {
      if (wasmtimeBool(optionValue, `-S ${name}`)) throw unsupported(`-S ${name}`, NO_NETWORK_REASON);
    } else if (name === 'inherit-env') wasmtimeBool(optionValue, '-S inherit-env');
    else if (name === 'cwd') {
      if (optionValue === undefined || optionValue === '')
        throw new InvalidArgumentError("-S cwd needs a value: -S cwd=PATH (the guest's initial working directory)");
    } else if (WASMTIME_S_OPTIONS.has(name)) throw unsupported(`-S ${name}`, refusedWasiOption(name));
    else throw unsupported(`-S ${name}`, 'wasmtime has no such -S option either');
    result[name] = optionValue ?? 'y';
  }
  return result;
}

/** `--leak-check`: `off`, `all`, or the fraction of reused answers to replay (`0.1` or `10%`). */
export function leakCheckMode(value: string): { mode: 'off' | 'all' } | { mode: 'sample'; sampleRate: number } {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === 'all') return { mode: v };
  const percent = v.endsWith('%');
  const fraction = Number(percent ? v.slice(0, -1) : v) / (percent ? 100 : 1);
  if (!/^\d*\.?\d+%?$/.test(v) || !(fraction > 0 && fraction <= 1)) {
    throw new InvalidArgumentError(
      `'${value}' is not a leak-check mode: use off, all, or a fraction of reused answers to replay (0.1 or 10%)`,
    );
  }
  return fraction === 1 ? { mode: 'all' } : { mode: 'sample', sampleRate: fraction };
}

/** `--max-request-body-size`: bytes, or with a unit (64KiB, 16MiB). */
export function byteSize(value: string): number {
  try {
    return parseBytes(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * wasmtime's `-O name[=value][,…]` options. `pooling-total-component-instances=N` is the
 * live-instance cap (Poolscope's `--max-instances`); `pooling-allocator` is accepted (the cap is
 * what it means here; turning it off is refused: there is always a cap). Every other name is
 * refused by name, with why.
 */
export function optOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const result = { ...previous };
  for (const [name, optionValue] of groupEntries(value)) {
    if (name === 'pooling-total-component-instances') wholeNumber(optionValue ?? '');
    else if (name === 'pooling-allocator') {
      if (!wasmtimeBool(optionValue, '-O pooling-allocator')) {
        throw unsupported(
          `-O pooling-allocator=${optionValue}`,
          "live instances are always capped (--max-instances, default 64), as by wasmtime's pooling allocator",
        );
      }
    } else if (WASMTIME_O_OPTIONS.has(name)) throw unsupported(`-O ${name}`, REFUSED_O_REASON);
    else
      throw unsupported(
        `-O ${name}`,
        'wasmtime has no such -O option either (supported: -O pooling-total-component-instances=N)',
      );
    result[name] = optionValue ?? 'y';
  }
  return result;
}
