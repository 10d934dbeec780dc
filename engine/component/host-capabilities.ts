import type { World } from '../protocol/index.ts';
import { ComponentLoadError } from './errors.ts';

/** The interfaces (unversioned, as jco names imports) that the host of a world implements. */
export async function supportedImports(world: World, spec: string): Promise<ReadonlySet<string>> {
  if (world === 'wasip3') {
    throw new ComponentLoadError(`${spec} is a WASIp3 component (wasi:http/handler@0.3.x); serving WASIp3 components is not implemented yet`);
  }
  const { SUPPORTED_INTERFACES } = await import('../host/p2/index.ts');
  return SUPPORTED_INTERFACES;
}
