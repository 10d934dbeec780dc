import type { LeakDetectionSettings, PoolKnobs, ScenarioPhaseResult } from '../../protocol/index.ts';

/** What a scenario step can do: serve a guest, turn knobs, and measure phases of traffic it drives. */
export interface ScenarioContext {
  /** Short run: load phases and pauses cut down. */
  readonly quick: boolean;
  readonly signal: AbortSignal;
  /** Loads a component with every knob set: the world's defaults plus these (and leak detection off unless given). */
  serve(component: string, knobs?: Partial<PoolKnobs>, leakDetection?: Partial<LeakDetectionSettings>): Promise<void>;
  setKnobs(patch: Partial<PoolKnobs>): Promise<void>;
  /** A URL on the guest being served. */
  url(path?: string): string;
  /**
   * Runs `drive`, waits for the pool (and the leak detector) to settle, and reports the phase.
   * `rate: false` leaves requests per second out, for phases whose pace is not the pool's.
   */
  measure(label: string, drive: () => Promise<unknown>, options?: { rate?: boolean }): Promise<ScenarioPhaseResult>;
  /** A load duration in milliseconds: `seconds`, or a fraction of it in a quick run. */
  duration(seconds: number): number;
  /** Waits for running leak replays to finish. */
  leaksSettled(): Promise<void>;
}

export interface ScenarioStep {
  /** What the viewer reads while the step runs; a function sees the phases measured so far. */
  caption: string | ((results: ScenarioPhaseResult[]) => string);
  /** What happens while the caption is shown (none: the caption is read, then the next step begins). */
  run?: (ctx: ScenarioContext) => Promise<void>;
}

export interface Scenario {
  name: string;
  title: string;
  summary: string;
  steps: ScenarioStep[];
}
