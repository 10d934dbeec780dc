import { readFile } from 'node:fs/promises';

/** A package.json's `name` and `version`, each left out unless it is a string. Throws as
 * readFile and JSON.parse do. */
export async function readNameAndVersion(file: string): Promise<{ name?: string; version?: string }> {
  const pkg: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (typeof pkg !== 'object' || pkg === null) return {};
  const name = 'name' in pkg && typeof pkg.name === 'string' ? pkg.name : undefined;
  const version = 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : undefined;
  return { name, version };
}
