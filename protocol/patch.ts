import type { z } from 'zod';

/**
 * Validates a partial update against `schema` and merges its defined fields into `current`, or
 * returns one message naming every bad field. Knobs and leak-detection settings change this way.
 */
export function mergePatch<T extends object>(
  schema: z.ZodType<Partial<T>>,
  current: T,
  patch: unknown,
): { ok: true; value: T } | { ok: false; error: string } {
  const parsed = schema.safeParse(patch);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => i.message).join('; ') };
  const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
  return { ok: true, value: { ...current, ...defined } };
}
