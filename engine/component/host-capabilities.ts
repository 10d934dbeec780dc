import type { World } from '../../protocol/index.ts';

/** The interfaces (unversioned, as jco names imports) that the host of a world implements. */
export async function supportedImports(world: World): Promise<ReadonlySet<string>> {
  if (world === 'wasip3') return (await import('../host/p3/capabilities.ts')).P3_SUPPORTED_INTERFACES;
  return (await import('../host/p2/index.ts')).SUPPORTED_INTERFACES;
}
