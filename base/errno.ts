/**
 * The `code` of a Node system error (`ENOENT`, `EADDRINUSE`, `ERR_INVALID_ARG_VALUE`), or undefined
 * when `error` carries no string code: what a `catch` gets is `unknown`, so this checks rather than
 * casts to `NodeJS.ErrnoException`.
 */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
