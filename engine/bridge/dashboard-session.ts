import { demoDescriptions } from '../component/demos.ts';
import { EventBus } from '../events/event-bus.ts';
import {
  applyLeakDetectionPatch,
  boundText,
  clientMessageSchema,
  DEFAULT_LEAK_DETECTION,
  defaultKnobs,
  type Command,
  type CommandOf,
  type CommandReplies,
  type CommandType,
  type EngineProblem,
  type Gauges,
  type LeakDetectionSettings,
  type LoadRunSummary,
  type PoolKnobs,
  type ReplyTo,
  type ScenarioProgress,
  type ServerMessage,
  type Snapshot,
} from '../../protocol/index.ts';
import { ENGINE_PROBLEM_MAX_CHARS } from '../../protocol/snapshot.ts';
import type { Serving } from '../serve.ts';
import { findScenario, scenarioInfos } from '../scenarios/catalog.ts';
import { ScenarioRunner, type ScenarioHost } from '../scenarios/runner.ts';
import { EventBatcher } from './event-batcher.ts';
import { PoolStage, type ServingChange, type StageOptions, type UserWork } from './pool-stage.ts';

export type { PoolOwner } from './pool-view.ts';
export type { ServingChange } from './pool-stage.ts';

/** One connected dashboard, whatever carries its messages (WebSocket, Electron IPC). */
export interface DashboardPeer {
  send(message: ServerMessage): void;
}

export type SessionOptions = StageOptions;

export type RequestSender = (
  serving: Serving,
  command: CommandOf<'sendRequests'>,
  send: (message: ServerMessage) => void,
) => Promise<LoadRunSummary>;

/** One handler per command, each returning the reply the protocol's map gives that command. */
type CommandHandlers = {
  [K in CommandType]: (command: CommandOf<K>) => Promise<CommandReplies[K]> | CommandReplies[K];
};

/** Commands a running scenario would be confused by: refused until it ends or is stopped. */
const CHANGES_THE_RUN = new Set<CommandType>(['load', 'start', 'stop', 'setKnobs', 'setLeakDetection', 'sendRequests']);

const NO_GAUGES: Gauges = { liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0, waitingForStart: 0 };

/**
 * The engine side of the dashboard bridge, transport-neutral: it turns the event stream of what is
 * served (its `PoolStage`) into bounded-rate batches for every peer, carries out validated commands
 * one lifecycle change at a time, and runs teaching scenarios. Web mode and the Electron shell both
 * wrap one of these.
 */
export class DashboardSession {
  /** The events of the pool on show (the dashboards get the same, batched). */
  readonly bus = new EventBus();
  /**
   * The events of the user's pool while it is parked (a scenario's pool on show): for the CLI to
   * print, labelled. The dashboards get them with the snapshot that shows that pool again.
   */
  readonly backstage = new EventBus(this.bus);
  readonly #peers = new Set<DashboardPeer>();
  readonly #batcher: EventBatcher;
  /** What is served: the pool on show, the user's parked during a scenario, the user's work. */
  readonly #stage: PoolStage;
  #sendRequests: RequestSender | null = null;
  #scenario: { runner: ScenarioRunner; done: Promise<ScenarioProgress>; saved: UserWork; touched: boolean } | null =
    null;
  /** The running scenario's progress as last sent: its end is held back until the user's work is back. */
  #scenarioShown: ScenarioProgress | null = null;
  #closing = false;
  #lastScenario: ScenarioProgress | null = null;
  /** Runs of the dashboard's "send requests" still going (see `#runScenario`). */
  #loadsRunning = 0;
  #problem: EngineProblem | null = null;
  #attachWaiters: Array<() => void> = [];
  #nextScenarioRunId = 0;
  /** Serialises load/start/stop so two clicks never race. */
  #lifecycle: Promise<unknown> = Promise.resolve();

  constructor(options: SessionOptions) {
    this.#batcher = new EventBatcher((events, dropped) =>
      this.#broadcast({
        kind: 'events',
        events,
        gauges: this.#stage.view.serving?.pool.gauges() ?? NO_GAUGES,
        dropped,
      }),
    );
    this.#stage = new PoolStage(options, {
      clock: this.bus,
      // The events of the pool on show: to every dashboard (batched), and to the session's bus.
      live: (event) => {
        this.#batcher.push(event);
        this.bus.relay(event);
      },
      backstage: (event) => this.backstage.relay(event),
      flush: () => this.#batcher.flushNow(),
      userHasComponent: () => this.#scenario?.saved.spec != null,
    });
    this.#stage.onChange((change) => {
      if (change.kind === 'listening') this.#problem = null; // serving again: the problem is over
    });
  }

  get serving(): Serving | null {
    return this.#stage.view.serving;
  }

  /** Plugs in the load generator behind the `sendRequests` command. */
  useRequestSender(sender: RequestSender): void {
    this.#sendRequests = sender;
  }

  /** Starts serving the initial component, if any. Errors propagate (the CLI reports them). */
  async start(): Promise<void> {
    if (this.#stage.componentSpec) await this.#queue(() => this.#stage.start('user'));
  }

  /** Calls `listener` whenever a front door opens or closes after this call; returns the unsubscribe. */
  onServingChange(listener: (change: ServingChange) => void): () => void {
    return this.#stage.onChange(listener);
  }

  /**
   * Shows every dashboard what went wrong (`Snapshot.problem`) until a component starts serving:
   * for failures no command reply carries, such as an unexpected error in the desktop app.
   */
  reportProblem(message: string): void {
    // Within the protocol's bound, so the snapshot carrying it is still a valid reply.
    this.#problem = { message: boundText(message, ENGINE_PROBLEM_MAX_CHARS), t: this.bus.now() };
    this.#announce();
  }

  /** Resolves when the first dashboard connects (a demo waits for its audience). */
  whenAttached(): Promise<void> {
    if (this.#peers.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.#attachWaiters.push(resolve));
  }

  attach(peer: DashboardPeer): () => void {
    // Events still waiting in the batcher are in the history: flushed first (to the others), so
    // the new peer gets each event exactly once, in its history or in a later batch.
    this.#batcher.flushNow();
    this.#peers.add(peer);
    for (const wake of this.#attachWaiters.splice(0)) wake();
    peer.send({ kind: 'snapshot', snapshot: this.snapshot(true) });
    return () => this.#peers.delete(peer);
  }

  /** `withHistory`: for a dashboard that just attached (see `Snapshot.history`). */
  snapshot(withHistory = false): Snapshot {
    const view = this.#stage.view;
    const serving = view.serving;
    const knobs = serving?.pool.knobs ?? { ...defaultKnobs('wasip2'), ...this.#stage.userKnobs };
    return {
      component: serving
        ? {
            spec: serving.component.spec,
            name: serving.component.name,
            world: serving.component.world,
            handlerInterface: serving.component.handlerInterface,
            sha256: serving.component.sha256,
            maxMemoryBytes: serving.component.maxMemoryBytes,
          }
        : null,
      listenUrl: serving?.frontDoor.url ?? null,
      serving: serving !== null,
      poolId: serving ? view.id : null,
      knobs,
      requestedKnobs: serving?.pool.requestedKnobs ?? knobs,
      instances: view.tracker.snapshot(),
      gauges: serving?.pool.gauges() ?? NO_GAUGES,
      leakDetection: serving?.leaks.settings ?? this.#stage.leakDetection,
      demos: demoDescriptions(),
      scenarios: scenarioInfos(),
      scenario: this.#scenario ? this.#scenarioShown : this.#lastScenario,
      problem: this.#problem,
      ...(withHistory ? { history: view.history.history() } : {}),
      t: this.bus.now(),
    };
  }

  /** Validates and runs one raw message from a peer; always answers with exactly one reply. */
  async receive(peer: DashboardPeer, raw: unknown): Promise<void> {
    const parsed = clientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
      peer.send({
        kind: 'reply',
        id,
        ok: false,
        error: `invalid command: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`,
      });
      return;
    }
    const { id, command } = parsed.data;
    try {
      const result = await this.execute(command);
      peer.send({ kind: 'reply', id, ok: true, result });
    } catch (error) {
      peer.send({ kind: 'reply', id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Runs one validated command; resolves with its reply, or rejects with a message for the user. */
  async execute<C extends Command>(command: C): Promise<ReplyTo<C>> {
    if (this.#scenario && CHANGES_THE_RUN.has(command.type)) {
      throw new Error(`the scenario '${this.#scenario.runner.progress.name}' is running: stop it first`);
    }
    // TypeScript cannot see that a `C` is the `CommandOf<C['type']>` its handler takes: a command
    // of type K is by definition the member of `Command` whose `type` is K.
    const handler = this.#handlers[command.type] as (command: C) => Promise<ReplyTo<C>> | ReplyTo<C>;
    return handler(command);
  }

  readonly #handlers: CommandHandlers = {
    runScenario: (command) => this.#runScenario(command.name, command.quick),
    stopScenario: async () => {
      const running = this.#scenario;
      if (!running) throw new Error('no scenario is running');
      running.runner.stop();
      return running.done;
    },
    snapshot: () => this.snapshot(),
    requestDetail: (command) => {
      const { serving, id } = this.#stage.view;
      if (!serving) return { kept: false, reason: 'not serving: request detail is kept while a component serves' };
      if (command.poolId !== undefined && command.poolId !== id) {
        return { kept: false, reason: 'that request was served by an earlier pool, whose detail is gone' };
      }
      return serving.details.get(command.requestId);
    },
    setKnobs: (command) => this.#setKnobs(command.patch),
    load: (command) =>
      this.#queue(async () => {
        await this.#stage.switchTo(command.component, 'user');
        return this.#announce();
      }).catch((error: unknown) => {
        // The dashboard that asked gets the reply; every dashboard (and a window opened later) sees the problem.
        this.reportProblem(
          `could not load ${command.component}: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }),
    start: () =>
      this.#queue(async () => {
        if (!this.#stage.view.serving) await this.#stage.start('user');
        return this.#announce();
      }),
    stop: () =>
      this.#queue(async () => {
        await this.#stage.stop('stop');
        return this.#announce();
      }),
    setLeakDetection: (command) => this.#setLeakDetection(command.patch),
    // A dashboard opened later starts from here too; the others are told the current state.
    clearHistory: () => {
      this.#stage.view.history.clear();
      return this.#announce();
    },
    sendRequests: async (command) => {
      const serving = this.#stage.view.serving;
      if (!serving) throw new Error('not serving: start serving a component before sending requests');
      if (!this.#sendRequests) throw new Error('the load generator is not available in this build');
      this.#loadsRunning++;
      try {
        return await this.#sendRequests(serving, command, (message) => this.#broadcast(message));
      } finally {
        this.#loadsRunning--;
      }
    },
  };

  async close(): Promise<void> {
    this.#closing = true; // a scenario stopped by closing gives nothing back: it would only be stopped again
    this.#scenario?.runner.stop();
    await this.#scenario?.done;
    await this.#queue(() => this.#stage.close());
    this.#batcher.flushNow();
    this.#batcher.stop();
  }

  /**
   * Starts a scenario in the background; its progress goes to every peer as `scenario` messages.
   * The scenario serves its guests on pools and an address of its own: the user's pool keeps
   * serving at the user's address, unseen (parked, see `PoolStage`), and the user's component,
   * knobs and leak detection are kept aside. When the scenario ends, however it ends, the user's pool is shown
   * again, its instances, guest state and history as they went on meanwhile; only then is the end
   * announced. A session that had nothing loaded has nothing to give back: the scenario's last
   * guest keeps serving, to be explored.
   */
  #runScenario(name: string, quick: boolean): { runId: number } {
    if (this.#scenario) throw new Error(`the scenario '${this.#scenario.runner.progress.name}' is already running`);
    // The load would go on at the user's pool, unseen, sharing the cores with the scenario's measurements.
    if (this.#loadsRunning > 0) {
      throw new Error('requests sent from the dashboard are still running: start the scenario once they are done');
    }
    const scenario = findScenario(name);
    const runId = this.#nextScenarioRunId++;
    const runner = new ScenarioRunner(this.#scenarioHost(), scenario, {
      runId,
      quick,
      onProgress: (progress) => {
        if (progress.state !== 'running') return; // announced once the user's work is back
        this.#scenarioShown = progress;
        this.#broadcast({ kind: 'scenario', progress });
      },
    });
    this.#stage.newScenario();
    this.#scenarioShown = runner.progress;
    const run = { runner, done: Promise.resolve(runner.progress), saved: this.#stage.userWork(), touched: false };
    this.#scenario = run;
    // Taken again in the queue, before the scenario's first step there: a `load` or `start` the user
    // sent just before is still queued now, and what it leaves is the user's work to give back.
    void this.#queue(async () => {
      run.saved = this.#stage.userWork();
    });
    run.done = runner.run().then(async (final) => {
      let shownAgain = false;
      if (!this.#closing && run.touched) {
        shownAgain = await this.#queue(() => this.#stage.giveBack(run.saved)).catch((error: unknown) => {
          this.reportProblem(
            `could not serve ${run.saved.spec} again after the scenario: ${error instanceof Error ? error.message : String(error)}`,
          );
          return false;
        });
      }
      this.#lastScenario = final;
      this.#scenario = null;
      this.#scenarioShown = null;
      // The end and the user's pool in one snapshot (a page sees them together), then the message a
      // printer such as `poolscope demo` waits for. A pool shown again comes with its history: what
      // it did before and during the scenario, which no page has seen live.
      this.#announce(shownAgain);
      this.#broadcast({ kind: 'scenario', progress: final });
      return final;
    });
    return { runId };
  }

  /** A scenario changes what is served through the same steps as the dashboard's commands. */
  #scenarioHost(): ScenarioHost {
    const touch = (): void => {
      if (this.#scenario) this.#scenario.touched = true;
    };
    return {
      bus: this.bus,
      // Never the user's pool, parked: a scenario step sends its traffic to its own.
      serving: () => this.#stage.scenarioServing,
      serve: (component, knobs, leakDetection) =>
        this.#queue(async () => {
          const settings = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, leakDetection);
          if (!settings.ok) throw new Error(settings.error);
          // Every knob the scenario's: the world's defaults with its changes, not the user's.
          await this.#stage.switchTo(component, 'scenario', (world) => {
            // Here, once the user's pool is parked: a guest refused before (a memory limit, a
            // failed build) left it on show, and there is nothing to give back for nothing.
            touch();
            this.#stage.adopt({ ...defaultKnobs(world), ...knobs }, settings.settings);
          });
          this.#announce();
        }),
      setKnobs: async (patch) => {
        touch();
        this.#setKnobs(patch);
      },
    };
  }

  #setKnobs(patch: Partial<PoolKnobs>): CommandReplies['setKnobs'] {
    this.#stage.setKnobs(patch);
    const { knobs, requestedKnobs } = this.#announce();
    return { knobs, requestedKnobs };
  }

  #setLeakDetection(patch: unknown): LeakDetectionSettings {
    const settings = this.#stage.setLeakDetection(patch);
    this.#announce();
    return settings;
  }

  /**
   * Sends every peer a fresh snapshot (after anything that changes more than events show);
   * `withHistory` for a pool shown again, whose events since they last saw it no page has.
   */
  #announce(withHistory = false): Snapshot {
    this.#batcher.flushNow();
    const snapshot = this.snapshot(withHistory);
    this.#broadcast({ kind: 'snapshot', snapshot });
    return snapshot;
  }

  #broadcast(message: ServerMessage): void {
    for (const peer of this.#peers) peer.send(message);
  }

  #queue<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#lifecycle.then(step, step);
    this.#lifecycle = next.catch(() => {});
    return next;
  }
}
