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
  type PoolEvent,
  type PoolKnobs,
  type ReplyTo,
  type ScenarioProgress,
  type ServerMessage,
  type Snapshot,
  type World,
} from '../../protocol/index.ts';
import { ENGINE_PROBLEM_MAX_CHARS } from '../../protocol/snapshot.ts';
import { checkFilesystemFor, startServing, type ServeOptions, type Serving } from '../serve.ts';
import { errnoCode } from '../../base/errno.ts';
import { findScenario, scenarioInfos } from '../scenarios/catalog.ts';
import { ScenarioRunner, type ScenarioHost } from '../scenarios/runner.ts';
import { EventBatcher } from './event-batcher.ts';
import { type PoolOwner, PoolView } from './pool-view.ts';

export type { PoolOwner } from './pool-view.ts';

/**
 * A front door opening or closing, or the pool on show changing, for whoever prints addresses (the
 * CLI). `restored`: the user's pool shown again after a scenario (it kept serving meanwhile, or, if
 * it could not, started again); `wanted`: the address it asked for, taken meanwhile by something
 * else, so it listens elsewhere. `parked`: the user's pool keeps serving, unseen, while a scenario
 * runs on an address of its own. `why` a pool stopped: a stop command, `switch` to another pool,
 * `close` of the session.
 */
export type ServingChange =
  | { kind: 'listening'; by: PoolOwner; component: string; url: string; restored: boolean; wanted: string | null }
  | { kind: 'parked'; by: 'user'; component: string; url: string }
  | { kind: 'stopped'; by: PoolOwner; component: string; url: string; why: 'stop' | 'switch' | 'close' };

/** The user's work while a scenario runs: given back when it ends. */
interface UserWork {
  spec: string | null;
  knobs: Partial<PoolKnobs>;
  leakDetection: LeakDetectionSettings;
  serving: boolean;
}

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
  readonly #batcher: EventBatcher;
  /**
   * The pool on show: what snapshots describe (its instances, its history for dashboards attaching
   * late) and whose events go out live. Before any pool started, an empty one that never serves.
   */
  #view: PoolView;
  /** The user's pool while a scenario runs: still serving at the user's address, shown again after. */
  #parked: PoolView | null = null;
  #componentSpec: string | null;
  /** Knobs the user set (CLI flags or the dashboard); they survive reloading a component. */
  #userKnobs: Partial<PoolKnobs>;
  #leakDetection: LeakDetectionSettings;
  #sendRequests: RequestSender | null = null;
  #scenario: { runner: ScenarioRunner; done: Promise<ScenarioProgress>; saved: UserWork; touched: boolean } | null =
    null;
  /** The running scenario's progress as last sent: its end is held back until the user's work is back. */
  #scenarioShown: ScenarioProgress | null = null;
  /**
   * The ports pools keep once the first of their owner bound one: with `--addr host:0` every new
   * pool (a reload, a scenario's next guest, the user's after a scenario) took a new port, so the
   * printed address stopped answering. The user's and a scenario's are kept apart: a scenario
   * never takes the user's address (see `#listenFor`).
   */
  #userPort: number | null = null;
  #scenarioPort: number | null = null;
  #closing = false;
  readonly #servingListeners = new Set<(change: ServingChange) => void>();
  #lastScenario: ScenarioProgress | null = null;
  /** Runs of the dashboard's "send requests" still going (see `#runScenario`). */
  #loadsRunning = 0;
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
      this.#broadcast({ kind: 'events', events, gauges: this.#view.serving?.pool.gauges() ?? NO_GAUGES, dropped }),
    );
    this.#view = new PoolView(0, 'user', this.bus);
  }

  /** Where the events of the pool on show go: every dashboard (batched), and the session's bus. */
  readonly #live = (event: PoolEvent): void => {
    this.#batcher.push(event);
    this.bus.relay(event);
  };

  get serving(): Serving | null {
    return this.#view.serving;
  }

  /** Plugs in the load generator behind the `sendRequests` command. */
  useRequestSender(sender: RequestSender): void {
    this.#sendRequests = sender;
  }

  /** Starts serving the initial component, if any. Errors propagate (the CLI reports them). */
  async start(): Promise<void> {
    if (this.#componentSpec) await this.#queue(() => this.#startServing('user'));
  }

  /** Calls `listener` whenever a front door opens or closes after this call; returns the unsubscribe. */
  onServingChange(listener: (change: ServingChange) => void): () => void {
    this.#servingListeners.add(listener);
    return () => this.#servingListeners.delete(listener);
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
    const serving = this.#view.serving;
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
      poolId: serving ? this.#view.id : null,
      knobs,
      requestedKnobs: serving?.pool.requestedKnobs ?? knobs,
      instances: this.#view.tracker.snapshot(),
      gauges: serving?.pool.gauges() ?? NO_GAUGES,
      leakDetection: serving?.leaks.settings ?? this.#leakDetection,
      demos: demoDescriptions(),
      scenarios: scenarioInfos(),
      scenario: this.#scenario ? this.#scenarioShown : this.#lastScenario,
      problem: this.#problem,
      ...(withHistory ? { history: this.#view.history.history() } : {}),
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
      const serving = this.#view.serving;
      if (!serving) return { kept: false, reason: 'not serving: request detail is kept while a component serves' };
      if (command.poolId !== undefined && command.poolId !== this.#view.id) {
        return { kept: false, reason: 'that request was served by an earlier pool, whose detail is gone' };
      }
      return serving.details.get(command.requestId);
    },
    setKnobs: (command) => this.#setKnobs(command.patch),
    load: (command) =>
      this.#queue(() => this.#switchTo(command.component, 'user')).catch((error: unknown) => {
        // The dashboard that asked gets the reply; every dashboard (and a window opened later) sees the problem.
        this.reportProblem(
          `could not load ${command.component}: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }),
    start: () =>
      this.#queue(async () => {
        if (this.#view.serving) return this.#announce();
        if (!this.#componentSpec) throw new Error('no component loaded: load a .wasm file or a demo first');
        await this.#startServing('user');
        return this.#announce();
      }),
    stop: () =>
      this.#queue(async () => {
        await this.#stopServing('stop');
        return this.#announce();
      }),
    setLeakDetection: (command) => this.#setLeakDetection(command.patch),
    // A dashboard opened later starts from here too; the others are told the current state.
    clearHistory: () => {
      this.#view.history.clear();
      return this.#announce();
    },
    sendRequests: async (command) => {
      const serving = this.#view.serving;
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
    await this.#queue(async () => {
      try {
        await this.#stopServing('close');
      } finally {
        // Closed during a scenario: the user's pool, kept serving meanwhile, closes too.
        const parked = this.#parked;
        this.#parked = null;
        if (parked && parked !== this.#view) await parked.serving?.close();
      }
    });
    this.#batcher.flushNow();
    this.#batcher.stop();
  }

  /**
   * Starts a scenario in the background; its progress goes to every peer as `scenario` messages.
   * The scenario serves its guests on pools and an address of its own: the user's pool keeps
   * serving at the user's address, unseen (`#park`), and the user's component, knobs and leak
   * detection are kept aside. When the scenario ends, however it ends, the user's pool is shown
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
    const userWork = (): UserWork => ({
      spec: this.#componentSpec,
      knobs: { ...this.#userKnobs },
      leakDetection: this.#leakDetection,
      serving: this.#view.serving !== null,
    });
    const runner = new ScenarioRunner(this.#scenarioHost(), scenario, {
      runId,
      quick,
      onProgress: (progress) => {
        if (progress.state !== 'running') return; // announced once the user's work is back
        this.#scenarioShown = progress;
        this.#broadcast({ kind: 'scenario', progress });
      },
    });
    this.#scenarioPort = null;
    this.#scenarioShown = runner.progress;
    const run = { runner, done: Promise.resolve(runner.progress), saved: userWork(), touched: false };
    this.#scenario = run;
    // Taken again in the queue, before the scenario's first step there: a `load` or `start` the user
    // sent just before is still queued now, and what it leaves is the user's work to give back.
    void this.#queue(async () => {
      run.saved = userWork();
    });
    run.done = runner.run().then(async (final) => {
      let shownAgain = false;
      if (!this.#closing && run.touched) {
        shownAgain = await this.#queue(() => this.#giveBack(run.saved)).catch((error: unknown) => {
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

  /**
   * Puts the user's work back as it was before the scenario (see `#runScenario`); true when the
   * user's own pool, parked, is on show again.
   */
  async #giveBack(saved: UserWork): Promise<boolean> {
    if (saved.spec === null) {
      // Nothing of the user's: the last guest stays, with its knobs, now the user's to change.
      this.#view.owner = 'user';
      this.#userPort ??= this.#scenarioPort;
      return false;
    }
    const parked = this.#parked;
    // (A scenario whose first pool failed to start left the parked pool on show: nothing to stop.)
    // Should stopping the scenario's pool fail, the parked one stays parked, for close() to close.
    if (this.#view !== parked) await this.#stopServing('switch');
    this.#parked = null;
    this.#componentSpec = saved.spec;
    this.#userKnobs = saved.knobs;
    this.#leakDetection = saved.leakDetection;
    if (parked?.serving) {
      this.#show(parked);
      const { spec } = parked.serving.component;
      const url = parked.serving.frontDoor.url;
      this.#tellServing({ kind: 'listening', by: 'user', component: spec, url, restored: true, wanted: null });
      return true;
    }
    if (saved.serving) await this.#startServing('user', true);
    return false;
  }

  /**
   * Puts `view` on show: its events go out live from now on. A parked pool's life during the
   * scenario the dashboards get with its history, which the snapshot announcing it carries.
   */
  #show(view: PoolView): void {
    this.#batcher.flushNow(); // what the last pool on show did goes out as its own
    view.showTo(this.#live);
    this.#view = view;
  }

  /**
   * The user's pool keeps serving at the user's address while a scenario runs, unseen: its events
   * are kept in its own record (instances, history) and no longer go out live.
   */
  #park(): void {
    const view = this.#view;
    if (!view.serving) return;
    this.#batcher.flushNow(); // what it did until now goes out as the user's pool's
    view.showTo(null);
    this.#parked = view;
    this.#tellServing({
      kind: 'parked',
      by: 'user',
      component: view.serving.component.spec,
      url: view.serving.frontDoor.url,
    });
  }

  /** A scenario changes what is served through the same steps as the dashboard's commands. */
  #scenarioHost(): ScenarioHost {
    const touch = (): void => {
      if (this.#scenario) this.#scenario.touched = true;
    };
    return {
      bus: this.bus,
      // Never the user's pool, parked: a scenario step sends its traffic to its own.
      serving: () => (this.#view === this.#parked ? null : this.#view.serving),
      serve: (component, knobs, leakDetection) =>
        this.#queue(async () => {
          const settings = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, leakDetection);
          if (!settings.ok) throw new Error(settings.error);
          // Every knob the scenario's: the world's defaults with its changes, not the user's.
          await this.#switchTo(component, 'scenario', (world) => {
            // Here, once the user's pool has stopped: a guest refused before (a memory limit, a
            // failed build) left it serving, and it must not be restarted for nothing.
            touch();
            this.#userKnobs = { ...defaultKnobs(world), ...knobs };
            this.#leakDetection = settings.settings;
          });
        }),
      setKnobs: async (patch) => {
        touch();
        this.#setKnobs(patch);
      },
    };
  }

  /**
   * Serves another component (or the same one afresh), for `by`. It is loaded, and so validated,
   * first: a bad component changes nothing and the old one keeps serving. `configure` runs once
   * its world is known, before the new pool starts.
   */
  async #switchTo(component: string, by: PoolOwner, configure?: (world: World) => void): Promise<Snapshot> {
    // Loaded with the session's memory limit, so a guest the limit refuses leaves the old one serving.
    const loaded = await loadComponent(component, {
      ...(this.#options.cacheDir ? { cacheDir: this.#options.cacheDir } : {}),
      ...(this.#options.maxMemoryBytes !== undefined ? { maxMemoryBytes: this.#options.maxMemoryBytes } : {}),
    });
    // So is a WASIp3 guest that cannot be given the session's --dir preopens.
    await checkFilesystemFor(loaded, this.#options.filesystem);
    // A scenario's first guest: the user's pool goes on serving, unseen; any other pool is replaced
    // (none while the parked pool is still the one on show: a scenario pool that failed to start).
    if (by === 'scenario' && this.#view.owner === 'user' && this.#parked === null) this.#park();
    else if (this.#view !== this.#parked) await this.#stopServing('switch');
    this.#componentSpec = component;
    configure?.(loaded.world);
    await this.#startServing(by);
    return this.#announce();
  }

  #setKnobs(patch: Partial<PoolKnobs>): CommandReplies['setKnobs'] {
    const serving = this.#view.serving;
    if (serving) {
      const result = serving.pool.setKnobs(patch);
      if (!result.ok) throw new Error(result.error);
    }
    this.#userKnobs = { ...this.#userKnobs, ...patch };
    const { knobs, requestedKnobs } = this.#announce();
    return { knobs, requestedKnobs };
  }

  #setLeakDetection(patch: unknown): LeakDetectionSettings {
    const result = this.#view.serving?.leaks.setSettings(patch) ?? applyLeakDetectionPatch(this.#leakDetection, patch);
    if (!result.ok) throw new Error(result.error);
    this.#leakDetection = result.settings;
    this.#announce();
    return result.settings;
  }

  async #startServing(by: PoolOwner, restored = false): Promise<void> {
    const component = this.#componentSpec;
    if (!component) throw new Error('no component loaded: load a .wasm file or a demo first');
    // Instance and request ids start again with a pool: it has a record (and history) of its own.
    // Until it is the pool on show, its events reach the CLI's printer but not the dashboards,
    // which would fold them into the last pool's state (the snapshot announcing it has its instances).
    const view = new PoolView(++this.#poolsStarted, by, this.bus);
    view.showTo((event) => this.bus.relay(event));
    const listen = this.#listenFor(by);
    const start = (at: { host: string; port: number }) =>
      startServing({
        ...this.#options,
        component,
        knobs: this.#userKnobs,
        leakDetection: this.#leakDetection,
        bus: view.bus,
        listen: at,
      });
    let wanted: string | null = null;
    let serving: Serving;
    try {
      serving = await start(listen);
    } catch (error) {
      // A port kept from an earlier pool (see `#userPort`) may have been taken while it was free:
      // serve on a free one rather than not at all (the CLI prints both). The very first bind fails as asked.
      const kept = by === 'user' ? this.#userPort : this.#scenarioPort;
      if (errnoCode(error) !== 'EADDRINUSE' || kept === null || listen.port === 0) throw error;
      wanted = `${listen.host}:${listen.port}`;
      serving = await start({ ...listen, port: 0 });
    }
    view.serving = serving;
    this.#show(view);
    const port = new URL(serving.frontDoor.url).port;
    if (by === 'user') this.#userPort = Number(port);
    else this.#scenarioPort = Number(port);
    this.#problem = null;
    this.#tellServing({ kind: 'listening', by, component, url: serving.frontDoor.url, restored, wanted });
  }

  /**
   * Where `by`'s next pool listens: the session's address, with the port its owner's pools keep.
   * A scenario while the user has a component gets a port of its own (a free one at first): the
   * user's address is theirs, served by the user's pool throughout.
   */
  #listenFor(by: PoolOwner): { host: string; port: number } {
    const asked = this.#options.listen ?? { host: '127.0.0.1', port: 8080 }; // startServing's default
    if (by === 'user') return { host: asked.host, port: this.#userPort ?? asked.port };
    if (this.#scenarioPort !== null) return { host: asked.host, port: this.#scenarioPort };
    const userHasAddress = this.#userPort !== null || this.#scenario?.saved.spec != null;
    return { host: asked.host, port: userHasAddress ? 0 : asked.port };
  }

  #tellServing(change: ServingChange): void {
    for (const listener of this.#servingListeners) listener(change);
  }

  async #stopServing(why: 'stop' | 'switch' | 'close'): Promise<void> {
    const view = this.#view;
    const serving = view.serving;
    if (!serving) return;
    view.serving = null;
    this.#tellServing({
      kind: 'stopped',
      by: view.owner,
      component: serving.component.spec,
      url: serving.frontDoor.url,
      why,
    });
    await serving.close();
    this.#batcher.flushNow();
    view.tracker.clear();
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
