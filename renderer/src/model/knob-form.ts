/**
 * The knobs form: what each field is, how its text is parsed (durations in wasmtime's syntax) and
 * validated with the protocol's own schema, so the messages are the engine's.
 */
import { applyKnobsPatch, type PoolKnobs, type PoolKnobsPatch } from '../../../protocol/index.ts';
import { parseBytes } from '../../../base/bytes.ts';
import { errorMessage } from './error-message.ts';
import { formatDuration, parseDuration } from './format.ts';

/** Exact and readable: `64MiB` rather than `64.0 MiB`, so the text parses back to the same value. */
function formatByteKnob(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

export type KnobKey = keyof PoolKnobs;

export interface KnobField {
  key: KnobKey;
  label: string;
  /** The matching `poolscope serve` flag. */
  flag: string;
  kind: 'count' | 'bytes' | 'duration' | 'optional-duration';
  help: string;
}

export const KNOB_FIELDS: readonly KnobField[] = [
  {
    key: 'maxInstanceReuseCount',
    label: 'Max reuse',
    flag: '--max-instance-reuse-count',
    kind: 'count',
    help: 'Requests one instance serves in total, then it drains (1 = no reuse).',
  },
  {
    key: 'maxInstanceConcurrentReuseCount',
    label: 'Max concurrent',
    flag: '--max-instance-concurrent-reuse-count',
    kind: 'count',
    help: 'Requests in flight on one instance at once.',
  },
  {
    key: 'idleInstanceTimeoutMs',
    label: 'Idle timeout',
    flag: '--idle-instance-timeout',
    kind: 'duration',
    help: 'How long an idle instance is kept for reuse (100us, 40ms, 2s).',
  },
  {
    key: 'requestTimeoutMs',
    label: 'Request timeout',
    flag: '--request-timeout',
    kind: 'optional-duration',
    help: 'Per-request timeout; the watchdog kills a stalled instance. Empty = none.',
  },
  {
    key: 'maxConcurrentRequests',
    label: 'Max in pool',
    flag: '--max-concurrent-requests',
    kind: 'count',
    help: 'Requests let into the pool at once; the rest wait at the front door.',
  },
  {
    key: 'maxInstances',
    label: 'Max instances',
    flag: '--max-instances',
    kind: 'count',
    help: 'Live instances at most; at the cap requests wait in the queue for one.',
  },
  {
    key: 'maxRequestBodyBytes',
    label: 'Max body',
    flag: '--max-request-body-size',
    kind: 'bytes',
    help: 'Request bodies larger than this get 413 (bytes, or 64KiB, 16MiB).',
  },
];

/** The text a field shows for a value. */
export function formatKnob(field: KnobField, value: PoolKnobs[KnobKey]): string {
  if (value === null) return '';
  if (field.kind === 'count') return String(value);
  return field.kind === 'bytes' ? formatByteKnob(value) : formatDuration(value);
}

export type KnobParse = { ok: true; patch: PoolKnobsPatch; knobs: PoolKnobs } | { ok: false; error: string };

/** Parses a field's text and validates it against the knobs in force, with the engine's messages. */
export function parseKnobInput(field: KnobField, text: string, current: PoolKnobs): KnobParse {
  const trimmed = text.trim();
  let value: number | null;
  if (field.kind === 'count') {
    value = trimmed === '' ? Number.NaN : Number(trimmed);
  } else if (field.kind === 'bytes') {
    try {
      value = parseBytes(trimmed);
    } catch (error) {
      return { ok: false, error: `${field.flag.slice(2)}: ${errorMessage(error)}` };
    }
  } else if (field.kind === 'optional-duration' && (trimmed === '' || trimmed.toLowerCase() === 'none')) {
    value = null;
  } else {
    try {
      value = parseDuration(trimmed);
    } catch (error) {
      return { ok: false, error: `${field.flag.slice(2)}: ${errorMessage(error)}` };
    }
  }
  // Only returned once applyKnobsPatch has checked it with the protocol's patch schema.
  const patch = { [field.key]: value } as PoolKnobsPatch;
  const result = applyKnobsPatch(current, patch);
  return result.ok ? { ok: true, patch, knobs: result.knobs } : { ok: false, error: result.error };
}

/** Why the effective value differs from the requested one, if it does. */
export function knobNote(
  field: KnobField,
  requested: PoolKnobs,
  effective: PoolKnobs,
  world: 'wasip2' | 'wasip3' | null,
): string | null {
  const key = field.key;
  if (requested[key] === effective[key]) {
    return key === 'maxInstanceConcurrentReuseCount' && world === 'wasip2' ? 'always 1 for WASIp2' : null;
  }
  if (key === 'maxInstanceConcurrentReuseCount' && world === 'wasip2') {
    return `forced to 1 for WASIp2 (requested ${requested[key]})`;
  }
  const show = (v: PoolKnobs[KnobKey]): string => (v === null ? 'none' : formatKnob(field, v));
  return `in force: ${show(effective[key])} (requested ${show(requested[key])})`;
}
