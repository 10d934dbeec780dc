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
