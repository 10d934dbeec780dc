/**
 * One autocannon run on the current thread, instrumented: per-response status counts, our own
 * latency histogram, error classification, the rate over the last second, and periodic progress.
 * `run-load.ts` calls this directly (`thread: 'current'`) or from `load-thread.ts`.
 */
import autocannon from 'autocannon';
import { errnoCode } from '../../base/errno.ts';
import { LatencyHistogram } from './histogram.ts';
import type { LoadErrors, LoadProgressUpdate, LoadSummary, ResolvedLoadOptions } from './options.ts';

export type StopReason = LoadSummary['stoppedBy'];

export interface AutocannonRun {
  /** Ends the run early; `done` then resolves with what was measured so far. */
  stop(reason: StopReason): void;
  done: Promise<LoadSummary>;
}

/** Samples of the finished-request counter, kept for the rate over the last second. */
const RATE_SAMPLE_MS = 100;
const RATE_WINDOW_MS = 1000;

/** The fields we read from autocannon's result (raw or aggregated, whichever shape it has). */
interface RawResult {
  errors?: number;
  timeouts?: number;
}

export function startAutocannon(
  o: ResolvedLoadOptions,
  onProgress: (progress: LoadProgressUpdate) => void,
): AutocannonRun {
  const histogram = new LatencyHistogram();
  const statusCounts: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  let responses = 0;
  let non2xx = 0;
  let connectionErrors = 0;
  let timeouts = 0;
  let sent = 0;
  let stoppedBy: StopReason = o.count !== null ? 'count' : 'duration';
  let stopped = false;
  const startedAt = new Date();
  const t0 = performance.now();
  const finishedCount = (): number => responses + connectionErrors + timeouts;

  const rateSamples: Array<{ t: number; done: number }> = [{ t: t0, done: 0 }];
  const sampleRate = (): void => {
    const now = performance.now();
    rateSamples.push({ t: now, done: finishedCount() });
    // Keep one sample at or before the start of the window.
    // biome-ignore lint/style/noNonNullAssertion: length > 2
    while (rateSamples.length > 2 && rateSamples[1]!.t <= now - RATE_WINDOW_MS) rateSamples.shift();
  };
  const currentRate = (): number => {
    const now = performance.now();
    // biome-ignore lint/style/noNonNullAssertion: never empty: it starts with one sample and sampleRate keeps two
    const first = rateSamples[0]!;
    const span = now - first.t;
    return span > 0 ? Math.round(((finishedCount() - first.done) * 1000) / span) : 0;
  };

  const progress = (finished: boolean): LoadProgressUpdate => ({
    elapsedMs: Math.round(performance.now() - t0),
    done: finishedCount(),
    responses,
    errors: connectionErrors + timeouts,
    timeouts,
    connectionByCode: { ...byCode },
    timeoutMs: o.timeoutMs,
    rate: currentRate(),
    statusCounts: { ...statusCounts },
    latencyMs: histogram.stats(),
    target: { durationMs: o.durationMs, count: o.count },
    finished,
  });

  const rateTimer = setInterval(sampleRate, RATE_SAMPLE_MS);
  const progressTimer = setInterval(() => onProgress(progress(false)), o.progressIntervalMs);
  // With both a planned total and a duration, the duration is a cap we enforce ourselves
  // (autocannon ignores its duration when given an amount).
  const capTimer =
    o.planned !== null && o.durationMs !== null ? setTimeout(() => stop('duration'), o.durationMs) : null;

  let instance: autocannon.Instance | undefined;
  let stopRequested = false;
  /** Set when autocannon has finished but the run still lasts until its duration (open loop). */
  let lingering: { result: RawResult | undefined } | null = null;
  const { promise: done, resolve, reject } = Promise.withResolvers<LoadSummary>();

  const stop = (reason: StopReason): void => {
    if (stopped || stopRequested) return;
    stopRequested = true;
    stoppedBy = reason;
    if (lingering) complete(lingering.result);
    else instance?.stop();
  };

  const cleanUp = (): void => {
    stopped = true;
    clearInterval(rateTimer);
    clearInterval(progressTimer);
    if (capTimer) clearTimeout(capTimer);
  };

  /** autocannon's callback. */
  const finish = (error: Error | null, result: RawResult | undefined): void => {
    if (stopped) return;
    if (error) {
      cleanUp();
      reject(error);
      return;
    }
    // An open loop for a duration may send its planned total early (autocannon sends each
    // second's share at the start of that second): the run still lasts its duration, and the
    // cap timer ends it.
    if (!stopRequested && o.rate !== null && o.count === null && capTimer !== null) {
      lingering = { result };
      return;
    }
    complete(result);
  };

  const complete = (result: RawResult | undefined): void => {
    if (stopped) return;
    cleanUp();
    const elapsedMs = performance.now() - t0;
    // Our counters come from the same events autocannon counts; prefer its totals when they differ.
    const allTimeouts = Math.max(timeouts, result?.timeouts ?? 0);
    const totalErrors = Math.max(connectionErrors + timeouts, result?.errors ?? 0);
    const errors: LoadErrors = {
      total: totalErrors,
      connection: totalErrors - allTimeouts,
      timeouts: allTimeouts,
      byCode: { ...byCode },
    };
    onProgress(progress(true));
    resolve({
      url: o.url,
      method: o.method,
      mode: o.rate !== null ? 'open-loop' : 'closed-loop',
      connections: o.connections,
      targetRate: o.rate,
      startedAt: startedAt.toISOString(),
      elapsedMs: Math.round(elapsedMs),
      stoppedBy,
      aborted: stoppedBy === 'abort',
      sent,
      responses,
      unanswered: Math.max(0, sent - responses - totalErrors),
      requestsPerSecond: elapsedMs > 0 ? Math.round((responses * 1000 * 10) / elapsedMs) / 10 : 0,
      latencyMs: histogram.stats(),
      statusCounts: { ...statusCounts },
      non2xx,
      errors,
    });
  };

  const launch = (): void => {
    const options: autocannon.Options = {
      url: o.url,
      method: o.method,
      headers: o.headers,
      connections: o.connections,
      timeout: o.timeoutMs / 1000,
      // The raw result: we only read its error totals, and aggregation builds histograms we do not use.
      skipAggregateResult: true,
      setupClient: (client) => {
        // Every request written, the first one included (autocannon's own `sent` over-counts with a rate).
        // Its typings list the client's other events only; as the EventEmitter it extends, any name.
        const emitter: NodeJS.EventEmitter = client;
        emitter.on('request', () => {
          sent += 1;
        });
      },
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.planned !== null ? { amount: o.planned } : { duration: (o.durationMs ?? 0) / 1000 }),
      // autocannon notices the end of a run (duration, amount or stop()) on its next sample tick:
      // its default of 1 s would add up to a second to every run.
      sampleInt: 20,
      // autocannon's coordinated-omission correction assumes a 1 ms interval whatever the rate,
      // which fills the histogram with invented samples; we record raw latencies instead.
      ...(o.rate !== null ? { overallRate: o.rate, ignoreCoordinatedOmission: true } : {}),
    };
    try {
      // autocannon's typings promise a result; on an error it may have none.
      instance = autocannon(options, (error: Error | null, result: autocannon.Result | undefined) =>
        finish(error, result),
      );
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)), undefined);
      return;
    }
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      responses += 1;
      const key = String(statusCode);
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
      if (statusCode < 200 || statusCode > 299) non2xx += 1;
      histogram.record(responseTime);
    });
    instance.on('reqError', (error: unknown) => {
      const code = errnoCode(error);
      if (code === undefined && error instanceof Error && error.message === 'request timed out') {
        timeouts += 1;
      } else {
        connectionErrors += 1;
        const key = code ?? 'other';
        byCode[key] = (byCode[key] ?? 0) + 1;
      }
    });
    if (stopRequested) instance.stop();
  };
  launch();

  return { stop, done };
}
