import type { EventBus } from '../events/event-bus.ts';
import type { LeakDetectionSettings, PoolKnobs, ScenarioPhaseResult, ScenarioProgress } from '../../protocol/index.ts';
import type { Serving } from '../serve.ts';
import { PhaseMeter } from './phase-meter.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';
import { pause } from './traffic.ts';

/** What a scenario needs from whoever serves (the dashboard session). */
export interface ScenarioHost {
  readonly bus: EventBus;
  serving(): Serving | null;
  serve(component: string, knobs: Partial<PoolKnobs>, leakDetection: Partial<LeakDetectionSettings>): Promise<void>;
  setKnobs(patch: Partial<PoolKnobs>): Promise<void>;
}

/** In a quick run, load phases last this fraction of their normal length. */
const QUICK_LOAD_FRACTION = 0.4;
/** After a phase, how long the pool may take to finish what it accepted. */
const SETTLE_TIMEOUT_MS = 15_000;

/**
 * Walks a scenario step by step: shows each caption (for at least the time it takes to read it),
 * runs the step, and reports progress after every change. `stop()` cuts it short.
 */
export class ScenarioRunner {
  readonly #host: ScenarioHost;
  readonly #scenario: Scenario;
  readonly #abort = new AbortController();
  readonly #onProgress: (progress: ScenarioProgress) => void;
  #progress: ScenarioProgress;

  constructor(
    host: ScenarioHost,
    scenario: Scenario,
    options: { runId: number; quick: boolean; onProgress: (progress: ScenarioProgress) => void },
  ) {
    this.#host = host;
    this.#scenario = scenario;
    this.#onProgress = options.onProgress;
    this.#progress = {
      runId: options.runId,
      name: scenario.name,
      title: scenario.title,
      step: 0,
      steps: scenario.steps.length,
      caption: '',
      state: 'running',
      error: null,
      results: [],
      quick: options.quick,
    };
  }

  get progress(): ScenarioProgress {
    return this.#progress;
  }

  stop(): void {
    this.#abort.abort();
  }

  async run(): Promise<ScenarioProgress> {
    const context = this.#context();
    try {
      for (const [index, step] of this.#scenario.steps.entries()) {
        const caption = typeof step.caption === 'string' ? step.caption : step.caption(this.#progress.results);
        this.#report({ step: index, caption });
        const shownAt = performance.now();
        await step.run?.(context);
        if (this.#abort.signal.aborted) return this.#report({ state: 'stopped' });
        const last = index === this.#scenario.steps.length - 1;
        if (!last) await pause(this.#readingMs(caption) - (performance.now() - shownAt), this.#abort.signal);
        if (this.#abort.signal.aborted) return this.#report({ state: 'stopped' });
      }
      return this.#report({ state: 'finished' });
    } catch (error) {
      return this.#report({
        state: this.#abort.signal.aborted ? 'stopped' : 'failed',
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #report(change: Partial<ScenarioProgress>): ScenarioProgress {
    this.#progress = { ...this.#progress, ...change };
    this.#onProgress(this.#progress);
    return this.#progress;
  }

  /** About 4 words a second, between 2.5 and 8 seconds; a moment in a quick run. */
  #readingMs(caption: string): number {
    if (this.#progress.quick) return 150;
    const words = caption.split(/\s+/).length;
    return Math.min(8000, Math.max(2500, words * 250));
  }

  #context(): ScenarioContext {
    const host = this.#host;
    const signal = this.#abort.signal;
    const quick = this.#progress.quick;
    const serving = (): Serving => {
      const current = host.serving();
      if (!current) throw new Error("the scenario's guest stopped serving");
      return current;
    };
    return {
      quick,
      signal,
      serve: (component, knobs = {}, leakDetection = {}) =>
        host.serve(component, knobs, { mode: 'off', ...leakDetection }),
      setKnobs: (patch) => host.setKnobs(patch),
      url: (path = '/') => new URL(path, serving().frontDoor.url).href,
      duration: (seconds) => seconds * 1000 * (quick ? QUICK_LOAD_FRACTION : 1),
      leaksSettled: () => serving().leaks.idle(),
      measure: async (label, drive, options = {}) => {
        const meter = new PhaseMeter(host.bus, label, serving().pool.gauges().liveInstances, options);
        let result: ScenarioPhaseResult;
        try {
          await drive();
          await settle(meter, serving(), signal);
        } finally {
          result = meter.finish();
        }
        this.#report({ results: [...this.#progress.results, result] });
        return result;
      },
    };
  }
}

/** Waits until every request of the phase is answered or failed, draining instances have retired, and the leak detector is idle. */
async function settle(meter: PhaseMeter, serving: Serving, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (!signal.aborted && (meter.outstanding > 0 || meter.draining > 0) && performance.now() < deadline)
    await pause(20, signal);
  await serving.leaks.idle();
}
