import type { PoolOwner } from './pool-view.ts';

export interface ListenAt {
  host: string;
  port: number;
}

/**
 * The ports pools keep once the first of their owner bound one: with `--addr host:0` every new
 * pool (a reload, a scenario's next guest) would take a new port, so the printed address would
 * stop answering. The user's and a scenario's are kept apart: a scenario never takes the user's
 * address. Policy only, no sockets: the session binds, and tells what it got.
 */
export class KeptPorts {
  readonly #asked: ListenAt;
  #user: number | null = null;
  #scenario: number | null = null;

  /** `asked`: the session's address (`--addr`), port 0 for any free one. */
  constructor(asked: ListenAt) {
    this.#asked = asked;
  }

  /**
   * Where `by`'s next pool listens: the session's address, with the port its owner's pools keep.
   * A scenario, when the user has a component (`userHasComponent`) or an address, gets a port of
   * its own (a free one at first).
   */
  listenFor(by: PoolOwner, userHasComponent: boolean): ListenAt {
    const { host, port } = this.#asked;
    if (by === 'user') return { host, port: this.#user ?? port };
    if (this.#scenario !== null) return { host, port: this.#scenario };
    return { host, port: this.#user !== null || userHasComponent ? 0 : port };
  }

  /**
   * True when a bind to `at` that failed with EADDRINUSE may be tried again on a free port: the
   * port was one `by` kept (taken meanwhile by something else). The very first bind fails as asked.
   */
  mayMove(by: PoolOwner, at: ListenAt): boolean {
    const kept = by === 'user' ? this.#user : this.#scenario;
    return kept !== null && at.port !== 0;
  }

  /** `by`'s pool listens on `port`: its next pools keep it. */
  bound(by: PoolOwner, port: number): void {
    if (by === 'user') this.#user = port;
    else this.#scenario = port;
  }

  /** A new scenario run: its first guest takes a free port again. */
  newScenario(): void {
    this.#scenario = null;
  }

  /** The scenario's last guest became the user's (the user had nothing): so did its port, if the user had none. */
  scenarioToUser(): void {
    this.#user ??= this.#scenario;
  }
}
