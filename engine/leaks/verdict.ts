import type { LeakVerdict } from '../../protocol/index.ts';
import type { CapturedOutcome } from './answer-capture.ts';
import { compareAnswers } from './compare.ts';

/** What a replay says about a reused instance's answer, as `leak.checked` carries it. */
export interface Judgement {
  verdict: LeakVerdict;
  differences: string[];
  message: string | null;
}

/** An outcome the replay can judge: a body too large to keep is skipped before any replay. */
export type JudgedOutcome = Exclude<CapturedOutcome, { kind: 'too-large' }>;

/**
 * Judges a reused instance's outcome against a fresh instance's outcome for the same request.
 * A reused instance that failed (5xx, trap, cut-off body) where a fresh one answered is a finding
 * of its own kind; both failing is no leak (the guest fails whatever came before); a fresh
 * instance failing where the reused one answered leaves nothing to compare with.
 */
export function judgeReplay(
  reused: JudgedOutcome,
  fresh: CapturedOutcome,
  ignoredHeaders: Iterable<string>,
  maxBodyBytes: number,
): Judgement {
  const reusedFailure = describeFailure(reused);
  if (fresh.kind === 'answered' && reused.kind === 'answered') {
    const differences = compareAnswers(reused.answer, fresh.answer, ignoredHeaders);
    if (differences.length === 0) return { verdict: 'same', differences, message: null };
    const failedOnReuse = reusedFailure !== null && fresh.answer.status < 500;
    return {
      verdict: failedOnReuse ? 'failed-on-reuse' : 'leak',
      differences,
      message: failedOnReuse ? reusedFailure : null,
    };
  }
  if (fresh.kind === 'answered' && reusedFailure !== null) {
    if (fresh.answer.status >= 500) return { verdict: 'same', differences: [], message: null };
    const outcome = `outcome: ${JSON.stringify(reusedFailure)} on the reused instance, ${fresh.answer.status} on a fresh one`;
    return { verdict: 'failed-on-reuse', differences: [outcome], message: reusedFailure };
  }
  if (fresh.kind !== 'answered' && fresh.kind !== 'too-large' && reusedFailure !== null)
    return { verdict: 'same', differences: [], message: null };
  return { verdict: 'error', differences: [], message: describeFailedReplay(fresh, maxBodyBytes) };
}

/** How an outcome failed, or null when it is an answer below 500. */
function describeFailure(outcome: JudgedOutcome): string | null {
  switch (outcome.kind) {
    case 'answered':
      return outcome.answer.status >= 500 ? `answered ${outcome.answer.status}` : null;
    case 'failed':
      return `failed (${outcome.failure}): ${outcome.message}`;
    case 'aborted':
      return `cut off: ${outcome.message}`;
  }
}

function describeFailedReplay(outcome: CapturedOutcome, maxBodyBytes: number): string {
  switch (outcome.kind) {
    case 'failed':
      return `the fresh instance did not answer (${outcome.failure}): ${outcome.message}`;
    case 'aborted':
      return `the fresh instance's answer broke off: ${outcome.message}`;
    case 'too-large':
      return `the fresh instance's body is larger than ${maxBodyBytes} bytes`;
    case 'answered':
      return `the fresh instance answered ${outcome.answer.status}`;
  }
}
