/**
 * What the WASIp3 host (imports.ts) provides, by unversioned interface name. Kept apart so that
 * checking a component's imports on the main thread loads neither preview3-shim nor a host.
 */
import { SUPPORTED_INTERFACES as P2_SUPPORTED_INTERFACES } from '../p2/index.ts';

/** Unversioned names (as jco lists a component's imports) of every interface `createP3Imports`
 * provides, whichever of 0.2 / 0.3 the guest asks for. */
export const P3_SUPPORTED_INTERFACES: ReadonlySet<string> = new Set([
  ...P2_SUPPORTED_INTERFACES,
  // WASIp3-only interface names.
  'wasi:clocks/types',
  'wasi:clocks/system-clock',
  'wasi:cli/types',
  'wasi:sockets/types',
  'wasi:http/client',
  'wasi:http/handler',
]);

/**
 * Whether a component imports wasi:filesystem@0.3 (`types` or `preopens`). Such a guest cannot be
 * given preopened directories: the p3 host serves wasi:filesystem through the p2 host, whose
 * descriptors speak 0.2 (what real WASIp3 guests import today: Rust's std links
 * wasi:filesystem@0.2 beside wasi:http@0.3), and preview3-shim's 0.3 filesystem cannot be confined
 * to them (its preopens are process-wide, and its sandbox check follows one link at a time, so a
 * link to a link leads out: `a -> b`, `b -> ../outside` opens `outside/…` through `a/…`).
 *
 * Import names sit verbatim in the component's import section, so scanning the bytes finds every
 * such import (a data segment holding the same text would refuse a guest that does not need to be).
 */
export function importsFilesystemP3(component: Uint8Array): boolean {
  const bytes = Buffer.from(component.buffer, component.byteOffset, component.byteLength);
  return bytes.includes('wasi:filesystem/types@0.3') || bytes.includes('wasi:filesystem/preopens@0.3');
}
