import { demoDescriptions } from '../component/demos.ts';
import { EventBus } from '../events/event-bus.ts';
import {
  boundText,
  clientMessageSchema,
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
  type ServerMessage,
  type Snapshot,
} from '../../protocol/index.ts';
import { ENGINE_PROBLEM_MAX_CHARS } from '../../protocol/snapshot.ts';
import type { Serving } from '../serve.ts';
import { scenarioInfos } from '../scenarios/catalog.ts';
import { EventBatcher } from './event-batcher.ts';
import { PoolStage, type ServingChange, type StageOptions } from './pool-stage.ts';
import { ScenarioRuns } from './scenario-runs.ts';

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
  /**
   * Every event of the user's pools, whether on show or parked while a scenario runs, and none of
   * a scenario's (its pools serve on addresses of their own): what `--events` writes, so the file
   * follows the server the user started, with its ids, whatever the dashboards show.
   */
  readonly userBus = new EventBus(this.bus);
  readonly #peers = new Set<DashboardPeer>();
  readonly #batcher: EventBatcher;
  /** What is served: the pool on show, the user's parked during a scenario, the user's work. */
  readonly #stage: PoolStage;
  readonly #scenarios: ScenarioRuns;
  #sendRequests: RequestSender | null = null;
  /** Runs of the dashboard's "send requests" still going (no scenario starts while one is). */
  #loadsRunning = 0;
  #problem: EngineProblem | null = null;
  #attachWaiters: Array<() => void> = [];
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
      userEvent: (event) => this.userBus.relay(event),
      flush: () => this.#batcher.flushNow(),
      userHasComponent: () => this.#scenarios.userHasComponent,
    });
    this.#scenarios = new ScenarioRuns({
      bus: this.bus,
      stage: this.#stage,
      queue: (step) => this.#queue(step),
      announce: (withHistory) => void this.#announce(withHistory),
      broadcast: (message) => this.#broadcast(message),
      reportProblem: (message) => this.reportProblem(message),
      setKnobs: (patch) => void this.#setKnobs(patch),
      loadsRunning: () => this.#loadsRunning,
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
      scenario: this.#scenarios.progress,
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
    const scenario = this.#scenarios.running;
    if (scenario !== null && CHANGES_THE_RUN.has(command.type)) {
      throw new Error(`the scenario '${scenario}' is running: stop it first`);
    }
    // TypeScript cannot see that a `C` is the `CommandOf<C['type']>` its handler takes: a command
    // of type K is by definition the member of `Command` whose `type` is K.
    const handler = this.#handlers[command.type] as (command: C) => Promise<ReplyTo<C>> | ReplyTo<C>;
    return handler(command);
  }

  readonly #handlers: CommandHandlers = {
    runScenario: (command) => this.#scenarios.start(command.name, command.quick),
    stopScenario: () => this.#scenarios.stop(),
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
    await this.#scenarios.close();
    await this.#queue(() => this.#stage.close());
    this.#batcher.flushNow();
    this.#batcher.stop();
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
