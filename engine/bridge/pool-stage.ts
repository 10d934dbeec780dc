import { loadComponent } from '../component/load.ts';
import type { EventBus } from '../events/event-bus.ts';
import {
  applyLeakDetectionPatch,
  DEFAULT_LEAK_DETECTION,
  type LeakDetectionSettings,
  type PoolEvent,
  type PoolKnobs,
  type World,
} from '../../protocol/index.ts';
import { checkFilesystemFor, startServing, type ServeOptions, type Serving } from '../serve.ts';
import { errnoCode } from '../../base/errno.ts';
import { KeptPorts } from './kept-ports.ts';
import { type PoolOwner, PoolView } from './pool-view.ts';

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
export interface UserWork {
  spec: string | null;
  knobs: Partial<PoolKnobs>;
  leakDetection: LeakDetectionSettings;
  serving: boolean;
}

export type StageOptions = Omit<ServeOptions, 'component' | 'bus'> & {
  /** Serve this at once; null starts with nothing loaded. */
  component: string | null;
};

/** What the stage needs of the session around it. */
export interface StageHooks {
  /** The session's bus: every pool's bus is on its clock and sequence, and relays to it. */
  clock: EventBus;
  /** Where the events of the pool on show go (the dashboards, batched, and the session's bus). */
  live(event: PoolEvent): void;
  /** Where the events of the user's pool go while it is parked. */
  backstage(event: PoolEvent): void;
  /** Where every event of the user's pools goes, on show, parked or still starting (`--events`). */
  userEvent(event: PoolEvent): void;
  /** Sends the dashboards what is waiting for them, before the pool on show changes. */
  flush(): void;
  /** A scenario runs and the user had a component: a scenario's pool then never takes the user's address. */
  userHasComponent(): boolean;
}

/**
 * What the session serves, pool by pool: the pool on show, the user's pool parked while a scenario
 * runs, the user's work (component, knobs, leak detection), the ports each owner's pools keep, and
 * the address changes the CLI prints. It knows nothing of dashboards or commands: the session
 * serialises the calls that change it (one at a time), and announces what changed.
 */
export class PoolStage {
  readonly #options: StageOptions;
  readonly #hooks: StageHooks;
  readonly #ports: KeptPorts;
  readonly #listeners = new Set<(change: ServingChange) => void>();
  /**
   * The pool on show: what snapshots describe (its instances, its history for dashboards attaching
   * late) and whose events go out live. Before any pool started, an empty one that never serves.
   */
  #view: PoolView;
  /** The user's pool while a scenario runs: still serving at the user's address, shown again after. */
  #parked: PoolView | null = null;
  #poolsStarted = 0;
  #componentSpec: string | null;
  /** Knobs the user set (CLI flags or the dashboard); they survive reloading a component. */
  #userKnobs: Partial<PoolKnobs>;
  #leakDetection: LeakDetectionSettings;

  constructor(options: StageOptions, hooks: StageHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#ports = new KeptPorts(options.listen ?? { host: '127.0.0.1', port: 8080 }); // startServing's default
    this.#componentSpec = options.component;
    this.#userKnobs = { ...options.knobs };
    const leakDetection = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, options.leakDetection ?? {});
    if (!leakDetection.ok) throw new Error(leakDetection.error);
    this.#leakDetection = leakDetection.settings;
    this.#view = new PoolView(0, 'user', hooks.clock);
  }

  get view(): PoolView {
    return this.#view;
  }

  /** What a scenario step may send traffic to: never the user's pool, parked (a scenario pool failed to start). */
  get scenarioServing(): Serving | null {
    return this.#view === this.#parked ? null : this.#view.serving;
  }

  get componentSpec(): string | null {
    return this.#componentSpec;
  }

  /** The knobs the next pool starts with: the user's (or, during a scenario, the scenario's). */
  get userKnobs(): Partial<PoolKnobs> {
    return this.#userKnobs;
  }

  get leakDetection(): LeakDetectionSettings {
    return this.#leakDetection;
  }

  /** Calls `listener` on every address change; returns the unsubscribe. */
  onChange(listener: (change: ServingChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  userWork(): UserWork {
    return {
      spec: this.#componentSpec,
      knobs: { ...this.#userKnobs },
      leakDetection: this.#leakDetection,
      serving: this.#view.serving !== null,
    };
  }

  /** A scenario's settings for its next pools: every knob its own, not the user's. */
  adopt(knobs: Partial<PoolKnobs>, leakDetection: LeakDetectionSettings): void {
    this.#userKnobs = knobs;
    this.#leakDetection = leakDetection;
  }

  /** A new scenario run: its first guest takes a free port of its own. */
  newScenario(): void {
    this.#ports.newScenario();
  }

  /** Applies knobs to the pool on show (if any) and to the next pools; throws the pool's message on a bad value. */
  setKnobs(patch: Partial<PoolKnobs>): void {
    const serving = this.#view.serving;
    if (serving) {
      const result = serving.pool.setKnobs(patch);
      if (!result.ok) throw new Error(result.error);
    }
    this.#userKnobs = { ...this.#userKnobs, ...patch };
  }

  /** Applies leak detection settings the same way; returns them whole. */
  setLeakDetection(patch: unknown): LeakDetectionSettings {
    const result = this.#view.serving?.leaks.setSettings(patch) ?? applyLeakDetectionPatch(this.#leakDetection, patch);
    if (!result.ok) throw new Error(result.error);
    this.#leakDetection = result.settings;
    return result.settings;
  }

  /**
   * Serves another component (or the same one afresh), for `by`. It is loaded, and so validated,
   * first: a bad component changes nothing and the old one keeps serving. `configure` runs once
   * its world is known, before the new pool starts.
   */
  async switchTo(component: string, by: PoolOwner, configure?: (world: World) => void): Promise<void> {
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
    else if (this.#view !== this.#parked) await this.stop('switch');
    this.#componentSpec = component;
    configure?.(loaded.world);
    await this.start(by);
  }

  async start(by: PoolOwner, restored = false): Promise<void> {
    const component = this.#componentSpec;
    if (!component) throw new Error('no component loaded: load a .wasm file or a demo first');
    // Instance and request ids start again with a pool: it has a record (and history) of its own.
    // Until it is the pool on show, its events reach the CLI's printer but not the dashboards,
    // which would fold them into the last pool's state (the snapshot announcing it has its instances).
    const view = new PoolView(++this.#poolsStarted, by, this.#hooks.clock);
    view.showTo((event) => this.#hooks.clock.relay(event));
    // Asked at each event: a scenario's last guest becomes the user's when the user had nothing
    // (`poolscope demo`, which has no --events; its file would begin mid-pool).
    view.bus.subscribe((event) => view.owner === 'user' && this.#hooks.userEvent(event));
    const listen = this.#ports.listenFor(by, this.#hooks.userHasComponent());
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
      // A port kept from an earlier pool may have been taken while it was free: serve on a free
      // one rather than not at all (the CLI prints both). The very first bind fails as asked.
      if (errnoCode(error) !== 'EADDRINUSE' || !this.#ports.mayMove(by, listen)) throw error;
      wanted = `${listen.host}:${listen.port}`;
      serving = await start({ ...listen, port: 0 });
    }
    view.serving = serving;
    this.#show(view);
    this.#ports.bound(by, Number(new URL(serving.frontDoor.url).port));
    this.#tell({ kind: 'listening', by, component, url: serving.frontDoor.url, restored, wanted });
  }

  async stop(why: 'stop' | 'switch' | 'close'): Promise<void> {
    const view = this.#view;
    const serving = view.serving;
    if (!serving) return;
    view.serving = null;
    this.#tell({ kind: 'stopped', by: view.owner, component: serving.component.spec, url: serving.frontDoor.url, why });
    await serving.close();
    this.#hooks.flush();
    view.tracker.clear();
  }

  /**
   * Puts the user's work back as it was before the scenario; true when the user's own pool,
   * parked, is on show again (its history then goes to the dashboards with the next snapshot).
   */
  async giveBack(saved: UserWork): Promise<boolean> {
    if (saved.spec === null) {
      // Nothing of the user's: the last guest stays, with its knobs, now the user's to change.
      this.#view.owner = 'user';
      this.#ports.scenarioToUser();
      return false;
    }
    const parked = this.#parked;
    // (A scenario whose first pool failed to start left the parked pool on show: nothing to stop.)
    // Should stopping the scenario's pool fail, the parked one stays parked, for close() to close.
    if (this.#view !== parked) await this.stop('switch');
    this.#parked = null;
    this.#componentSpec = saved.spec;
    this.#userKnobs = saved.knobs;
    this.#leakDetection = saved.leakDetection;
    if (parked?.serving) {
      this.#show(parked);
      const { spec } = parked.serving.component;
      const url = parked.serving.frontDoor.url;
      this.#tell({ kind: 'listening', by: 'user', component: spec, url, restored: true, wanted: null });
      return true;
    }
    if (saved.serving) await this.start('user', true);
    return false;
  }

  /** Stops the pool on show and, closed during a scenario, the user's pool kept serving meanwhile. */
  async close(): Promise<void> {
    try {
      await this.stop('close');
    } finally {
      const parked = this.#parked;
      this.#parked = null;
      if (parked && parked !== this.#view) await parked.serving?.close();
    }
  }

  /**
   * Puts `view` on show: its events go out live from now on. A parked pool's life during the
   * scenario the dashboards get with its history, which the snapshot announcing it carries.
   */
  #show(view: PoolView): void {
    this.#hooks.flush(); // what the last pool on show did goes out as its own
    view.showTo(this.#hooks.live);
    this.#view = view;
  }

  /**
   * The user's pool keeps serving at the user's address while a scenario runs, unseen by the
   * dashboards: its events are kept in its own record (instances, history) and go backstage.
   */
  #park(): void {
    const view = this.#view;
    if (!view.serving) return;
    this.#hooks.flush(); // what it did until now goes out as the user's pool's
    view.showTo(this.#hooks.backstage);
    this.#parked = view;
    this.#tell({ kind: 'parked', by: 'user', component: view.serving.component.spec, url: view.serving.frontDoor.url });
  }

  #tell(change: ServingChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
