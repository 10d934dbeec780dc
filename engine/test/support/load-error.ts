import assert from 'node:assert/strict';
import { ComponentLoadError } from '../../component/errors.ts';
import { loadComponent } from '../../component/load.ts';

/** Loads `spec`, which must fail with a ComponentLoadError; returns its message. */
export async function loadError(spec: string): Promise<string> {
  const error = await loadComponent(spec).then(
    () => assert.fail(`${spec} loaded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ComponentLoadError, String(error));
  return error.message;
}
