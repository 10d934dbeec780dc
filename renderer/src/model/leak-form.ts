/**
 * The leak-detection form: how each text field is shown and parsed, validated with the protocol's
 * own schema (so the messages are the engine's), like the knobs form.
 */
import {
  applyLeakDetectionPatch,
  MAX_QUEUED_REPLAY_BYTES,
  type LeakDetectionPatch,
  type LeakDetectionSettings,
} from '../../../protocol/index.ts';

export type LeakParse =
  | { ok: true; patch: LeakDetectionPatch; settings: LeakDetectionSettings }
  | { ok: false; error: string };

export interface LeakTextField {
  key: 'sampleRate' | 'ignoredHeaders' | 'maxConcurrentReplays' | 'maxQueuedReplays' | 'maxReplaysPerSecond';
  label: string;
  help: string;
  format(settings: LeakDetectionSettings): string;
  parse(text: string, current: LeakDetectionSettings): LeakParse;
}

function validate(current: LeakDetectionSettings, patch: LeakDetectionPatch): LeakParse {
  const result = applyLeakDetectionPatch(current, patch);
  return result.ok ? { ok: true, patch, settings: result.settings } : { ok: false, error: result.error };
}

/** A number as typed; empty is not a number (Number('') would be 0). */
function numberOf(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

export const SAMPLE_RATE: LeakTextField = {
  key: 'sampleRate',
  label: 'Sample rate',
  help: "Fraction of reused answers replayed in mode 'sample': 0.1 or 10%.",
  format: (s) => String(s.sampleRate),
  parse(text, current) {
    // The CLI's --leak-check takes a percentage too.
    const trimmed = text.trim();
    const value = trimmed.endsWith('%') ? numberOf(trimmed.slice(0, -1)) / 100 : numberOf(trimmed);
    return validate(current, { sampleRate: value });
  },
};

export const MAX_REPLAYS: LeakTextField = {
  key: 'maxConcurrentReplays',
  label: 'Max replays',
  help: 'Replays in flight at once; an answer that finds them all busy waits in the replay queue.',
  format: (s) => String(s.maxConcurrentReplays),
  parse: (text, current) => validate(current, { maxConcurrentReplays: numberOf(text) }),
};

export const MAX_QUEUED: LeakTextField = {
  key: 'maxQueuedReplays',
  label: 'Queue',
  help: `Answers waiting for a replay slot, at most (and ${MAX_QUEUED_REPLAY_BYTES / (1024 * 1024)} MiB of their bodies); beyond it they are skipped (queue full). 0 queues none.`,
  format: (s) => String(s.maxQueuedReplays),
  parse: (text, current) => validate(current, { maxQueuedReplays: numberOf(text) }),
};

export const REPLAY_RATE: LeakTextField = {
  key: 'maxReplaysPerSecond',
  label: 'Replays/s',
  help: 'Replays started per second at most: each starts a fresh instance, which costs CPU the served traffic shares. Beyond it answers are skipped.',
  format: (s) => String(s.maxReplaysPerSecond),
  parse: (text, current) => validate(current, { maxReplaysPerSecond: numberOf(text) }),
};

export const IGNORED_HEADERS: LeakTextField = {
  key: 'ignoredHeaders',
  label: 'Ignore headers',
  help: 'Headers left out of comparisons (they differ by nature: dates, ids), comma separated.',
  format: (s) => s.ignoredHeaders.join(', '),
  parse(text, current) {
    const names = text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const result = validate(current, { ignoredHeaders: names });
    // The schema lower-cases and trims; send what it made of them.
    return result.ok ? { ...result, patch: { ignoredHeaders: result.settings.ignoredHeaders } } : result;
  },
};
