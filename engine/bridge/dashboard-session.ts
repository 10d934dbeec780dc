import { demoDescriptions } from '../component/demos.ts';
import { loadComponent } from '../component/load.ts';
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
  type World,
} from '../../protocol/index.ts';
import { ENGINE_PROBLEM_MAX_CHARS } from '../../protocol/snapshot.ts';
import { checkFilesystemFor, startServing, type ServeOptions, type Serving } from '../serve.ts';
import { findScenario, scenarioInfos } from '../scenarios/catalog.ts';
import { ScenarioRunner, type ScenarioHost } from '../scenarios/runner.ts';
import { EventBatcher } from './event-batcher.ts';
import { InstanceTracker } from './instance-tracker.ts';

/** One connected dashboard, whatever carries its messages (WebSocket, Electron IPC). */
export interface DashboardPeer {
  send(message: ServerMessage): void;
}

export type SessionOptions = Omit<ServeOptions, 'component' | 'bus'> & {
  /** Serve this at once; null starts with nothing loaded. */
  component: string | null;
};

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
 * The engine side of the dashboard bridge, transport-neutral: it owns what is being served, turns
 * the event stream into bounded-rate batches for every peer, and carries out validated commands.
 * Web mode and the Electron shell both wrap one of these.
 */
export class DashboardSession {
  readonly bus = new EventBus();
  readonly #options: SessionOptions;
  readonly #peers = new Set<DashboardPeer>();
  readonly #tracker = new InstanceTracker();
  readonly #batcher: EventBatcher;
  #componentSpec: string | null;
  #serving: Serving | null = null;
  /** Knobs the user set (CLI flags or the dashboard); they survive reloading a component. */
  #userKnobs: Partial<PoolKnobs>;
  #leakDetection: LeakDetectionSettings;
  #sendRequests: RequestSender | null = null;
  #scenario: { runner: ScenarioRunner; done: Promise<ScenarioProgress> } | null = null;
  #lastScenario: ScenarioProgress | null = null;
  #problem: EngineProblem | null = null;
  #attachWaiters: Array<() => void> = [];
  #poolsStarted = 0;
  #nextScenarioRunId = 0;
  /** Serialises load/start/stop so two clicks never race. */
  #lifecycle: Promise<unknown> = Promise.resolve();

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#componentSpec = options.component;
    this.#userKnobs = { ...options.knobs };
    const leakDetection = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, options.leakDetection ?? {});
    if (!leakDetection.ok) throw new Error(leakDetection.error);
    this.#leakDetection = leakDetection.settings;
    this.#batcher = new EventBatcher((events, dropped) =>
      this.#broadcast({ kind: 'events', events, gauges: this.#serving?.pool.gauges() ?? NO_GAUGES, dropped }),
    );
    this.bus.subscribe((event) => {
      this.#tracker.apply(event);
      this.#batcher.push(event);
    });
  }

  get serving(): Serving | null {
    return this.#serving;
  }

  /** Plugs in the load generator behind the `sendRequests` command. */
  useRequestSender(sender: RequestSender): void {
    this.#sendRequests = sender;
  }

  /** Starts serving the initial component, if any. Errors propagate (the CLI reports them). */
  async start(): Promise<void> {
    if (this.#componentSpec) await this.#queue(() => this.#startServing());
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
    this.#peers.add(peer);
    for (const wake of this.#attachWaiters.splice(0)) wake();
    peer.send({ kind: 'snapshot', snapshot: this.snapshot() });
    return () => this.#peers.delete(peer);
  }

  snapshot(): Snapshot {
    const serving = this.#serving;
    const knobs = serving?.pool.knobs ?? { ...defaultKnobs('wasip2'), ...this.#userKnobs };
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
      poolId: serving ? this.#poolsStarted : null,
      knobs,
      requestedKnobs: serving?.pool.requestedKnobs ?? knobs,
      instances: this.#tracker.snapshot(),
      gauges: serving?.pool.gauges() ?? NO_GAUGES,
      leakDetection: serving?.leaks.settings ?? this.#leakDetection,
      demos: demoDescriptions(),
      scenarios: scenarioInfos(),
      scenario: this.#scenario?.runner.progress ?? this.#lastScenario,
      problem: this.#problem,
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
    setKnobs: (command) => this.#setKnobs(command.patch),
    load: (command) =>
      this.#queue(() => this.#switchTo(command.component)).catch((error: unknown) => {
        // The dashboard that asked gets the reply; every dashboard (and a window opened later) sees the problem.
        this.reportProblem(
          `could not load ${command.component}: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }),
    start: () =>
      this.#queue(async () => {
        if (this.#serving) return this.#announce();
        if (!this.#componentSpec) throw new Error('no component loaded: load a .wasm file or a demo first');
        await this.#startServing();
        return this.#announce();
      }),
    stop: () =>
      this.#queue(async () => {
        await this.#stopServing();
        return this.#announce();
      }),
    setLeakDetection: (command) => this.#setLeakDetection(command.patch),
    // History lives in the dashboards; tell them all to start afresh from the current state.
    clearHistory: () => this.#announce(),
    sendRequests: (command) => {
      const serving = this.#serving;
      if (!serving) throw new Error('not serving: start serving a component before sending requests');
      if (!this.#sendRequests) throw new Error('the load generator is not available in this build');
      return this.#sendRequests(serving, command, (message) => this.#broadcast(message));
    },
  };

  async close(): Promise<void> {
    this.#scenario?.runner.stop();
    await this.#scenario?.done;
    await this.#queue(() => this.#stopServing());
    this.#batcher.flushNow();
    this.#batcher.stop();
  }

  /** Starts a scenario in the background; its progress goes to every peer as `scenario` messages. */
  #runScenario(name: string, quick: boolean): { runId: number } {
    if (this.#scenario) throw new Error(`the scenario '${this.#scenario.runner.progress.name}' is already running`);
    const scenario = findScenario(name);
    const runId = this.#nextScenarioRunId++;
    const runner = new ScenarioRunner(this.#scenarioHost(), scenario, {
      runId,
      quick,
      onProgress: (progress) => this.#broadcast({ kind: 'scenario', progress }),
    });
    const done = runner.run().then((final) => {
      this.#lastScenario = final;
      this.#scenario = null;
      return final;
    });
    this.#scenario = { runner, done };
    return { runId };
  }

  /** A scenario changes what is served through the same steps as the dashboard's commands. */
  #scenarioHost(): ScenarioHost {
    return {
      bus: this.bus,
      serving: () => this.#serving,
      serve: (component, knobs, leakDetection) =>
        this.#queue(async () => {
          const settings = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, leakDetection);
          if (!settings.ok) throw new Error(settings.error);
          // Every knob the scenario's: the world's defaults with its changes, not the user's.
          await this.#switchTo(component, (world) => {
            this.#userKnobs = { ...defaultKnobs(world), ...knobs };
            this.#leakDetection = settings.settings;
          });
        }),
      setKnobs: async (patch) => void this.#setKnobs(patch),
    };
  }

  /**
   * Serves another component (or the same one afresh). It is loaded, and so validated, first: a
   * bad component changes nothing and the old one keeps serving. `configure` runs once its world
   * is known, before the new pool starts.
   */
  async #switchTo(component: string, configure?: (world: World) => void): Promise<Snapshot> {
    // Loaded with the session's memory limit, so a guest the limit refuses leaves the old one serving.
    const loaded = await loadComponent(component, {
      ...(this.#options.cacheDir ? { cacheDir: this.#options.cacheDir } : {}),
      ...(this.#options.maxMemoryBytes !== undefined ? { maxMemoryBytes: this.#options.maxMemoryBytes } : {}),
    });
    // So is a WASIp3 guest that cannot be given the session's --dir preopens.
    await checkFilesystemFor(loaded, this.#options.filesystem);
    await this.#stopServing();
    this.#componentSpec = component;
    configure?.(loaded.world);
    await this.#startServing();
    return this.#announce();
  }

  #setKnobs(patch: Partial<PoolKnobs>): CommandReplies['setKnobs'] {
    const serving = this.#serving;
    if (serving) {
      const result = serving.pool.setKnobs(patch);
      if (!result.ok) throw new Error(result.error);
    }
    this.#userKnobs = { ...this.#userKnobs, ...patch };
    const { knobs, requestedKnobs } = this.#announce();
    return { knobs, requestedKnobs };
  }

  #setLeakDetection(patch: unknown): LeakDetectionSettings {
    const result = this.#serving?.leaks.setSettings(patch) ?? applyLeakDetectionPatch(this.#leakDetection, patch);
    if (!result.ok) throw new Error(result.error);
    this.#leakDetection = result.settings;
    this.#announce();
    return result.settings;
  }

  async #startServing(): Promise<void> {
    const component = this.#componentSpec;
    if (!component) throw new Error('no component loaded: load a .wasm file or a demo first');
    this.#poolsStarted++;
    this.#serving = await startServing({
      ...this.#options,
      component,
      knobs: this.#userKnobs,
      leakDetection: this.#leakDetection,
      bus: this.bus,
    });
    this.#problem = null;
  }

  async #stopServing(): Promise<void> {
    const serving = this.#serving;
    if (!serving) return;
    this.#serving = null;
    await serving.close();
    this.#batcher.flushNow();
    this.#tracker.clear();
  }

  /** Sends every peer a fresh snapshot (after anything that changes more than events show). */
  #announce(): Snapshot {
    this.#batcher.flushNow();
    const snapshot = this.snapshot();
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
