import {
  applyLeakDetectionPatch,
  DEFAULT_LEAK_DETECTION,
  defaultKnobs,
  type PoolKnobs,
  type ScenarioProgress,
  type ServerMessage,
} from '../../protocol/index.ts';
import type { EventBus } from '../events/event-bus.ts';
import { findScenario } from '../scenarios/catalog.ts';
import { ScenarioRunner, type ScenarioHost } from '../scenarios/runner.ts';
import type { PoolStage, UserWork } from './pool-stage.ts';

/** What a scenario run needs of the session it runs in. */
export interface ScenarioSessionHooks {
  bus: EventBus;
  stage: PoolStage;
  /** Runs one lifecycle step after the ones queued before it (the session's one queue). */
  queue<T>(step: () => Promise<T>): Promise<T>;
  /** A fresh snapshot to every dashboard; `withHistory` for a pool shown again. */
  announce(withHistory?: boolean): void;
  broadcast(message: ServerMessage): void;
  reportProblem(message: string): void;
  setKnobs(patch: Partial<PoolKnobs>): void;
  /** Runs of the dashboard's "send requests" still going. */
  loadsRunning(): number;
}

/**
 * The teaching scenarios of a dashboard session, one at a time. A scenario serves its guests on
 * pools and an address of its own: the user's pool keeps serving at the user's address, unseen
 * (parked, see `PoolStage`), and the user's component, knobs and leak detection are kept aside.
 * When the scenario ends, however it ends, the user's pool is shown again, its instances, guest
 * state and history as they went on meanwhile; only then is the end announced. A session that had
 * nothing loaded has nothing to give back: the scenario's last guest keeps serving, to be explored.
 */
export class ScenarioRuns {
  readonly #session: ScenarioSessionHooks;
  #running: { runner: ScenarioRunner; done: Promise<ScenarioProgress>; saved: UserWork; touched: boolean } | null =
    null;
  /** The running scenario's progress as last sent: its end is held back until the user's work is back. */
  #shown: ScenarioProgress | null = null;
  #last: ScenarioProgress | null = null;
  #nextRunId = 0;
  #closing = false;

  constructor(session: ScenarioSessionHooks) {
    this.#session = session;
  }

  /** The name of the scenario running, or null. */
  get running(): string | null {
    return this.#running?.runner.progress.name ?? null;
  }

  /** What a snapshot says of scenarios: the running one as last sent, or the last one's end. */
  get progress(): ScenarioProgress | null {
    return this.#running ? this.#shown : this.#last;
  }

  /** Whether a scenario runs and the user had a component to give back afterwards. */
  get userHasComponent(): boolean {
    return this.#running?.saved.spec != null;
  }

  /** Starts a scenario in the background; its progress goes to every peer as `scenario` messages. */
  start(name: string, quick: boolean): { runId: number } {
    if (this.#running) throw new Error(`the scenario '${this.#running.runner.progress.name}' is already running`);
    // The load would go on at the user's pool, unseen, sharing the cores with the scenario's measurements.
    if (this.#session.loadsRunning() > 0) {
      throw new Error('requests sent from the dashboard are still running: start the scenario once they are done');
    }
    const { stage, queue, announce, broadcast } = this.#session;
    const scenario = findScenario(name);
    const runId = this.#nextRunId++;
    const runner = new ScenarioRunner(this.#host(), scenario, {
      runId,
      quick,
      onProgress: (progress) => {
        if (progress.state !== 'running') return; // announced once the user's work is back
        this.#shown = progress;
        broadcast({ kind: 'scenario', progress });
      },
    });
    stage.newScenario();
    this.#shown = runner.progress;
    const run = { runner, done: Promise.resolve(runner.progress), saved: stage.userWork(), touched: false };
    this.#running = run;
    // Taken again in the queue, before the scenario's first step there: a `load` or `start` the user
    // sent just before is still queued now, and what it leaves is the user's work to give back.
    void queue(async () => {
      run.saved = stage.userWork();
    });
    run.done = runner.run().then(async (final) => {
      let shownAgain = false;
      if (!this.#closing && run.touched) {
        shownAgain = await queue(() => stage.giveBack(run.saved)).catch((error: unknown) => {
          this.#session.reportProblem(
            `could not serve ${run.saved.spec} again after the scenario: ${error instanceof Error ? error.message : String(error)}`,
          );
          return false;
        });
      }
      this.#last = final;
      this.#running = null;
      this.#shown = null;
      // The end and the user's pool in one snapshot (a page sees them together), then the message a
      // printer such as `poolscope demo` waits for. A pool shown again comes with its history: what
      // it did before and during the scenario, which no page has seen live.
      announce(shownAgain);
      broadcast({ kind: 'scenario', progress: final });
      return final;
    });
    return { runId };
  }

  /** Stops the running scenario; resolves with its end, once the user's work is back. */
  stop(): Promise<ScenarioProgress> {
    const running = this.#running;
    if (!running) throw new Error('no scenario is running');
    running.runner.stop();
    return running.done;
  }

  /** Stops a running scenario for good: closing gives nothing back, it would only be stopped again. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#running?.runner.stop();
    await this.#running?.done;
  }

  /** A scenario changes what is served through the same steps as the dashboard's commands. */
  #host(): ScenarioHost {
    const { bus, stage, queue, announce } = this.#session;
    const touch = (): void => {
      if (this.#running) this.#running.touched = true;
    };
    return {
      bus,
      // Never the user's pool, parked: a scenario step sends its traffic to its own.
      serving: () => stage.scenarioServing,
      serve: (component, knobs, leakDetection) =>
        queue(async () => {
          const settings = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, leakDetection);
          if (!settings.ok) throw new Error(settings.error);
          // Every knob the scenario's: the world's defaults with its changes, not the user's.
          await stage.switchTo(component, 'scenario', (world) => {
            // Here, once the user's pool is parked: a guest refused before (a memory limit, a
            // failed build) left it on show, and there is nothing to give back for nothing.
            touch();
            stage.adopt({ ...defaultKnobs(world), ...knobs }, settings.settings);
          });
          announce();
        }),
      setKnobs: async (patch) => {
        touch();
        this.#session.setKnobs(patch);
      },
    };
  }
}
