import { defaultExecutorCount } from '../pool/executor-pool.ts';
import { Command, Option } from 'commander';
import { ComponentLoadError } from '../component/errors.ts';
import { InvalidKnobsError } from '../serve.ts';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import { sendRequestsFromDashboard } from '../bridge/send-requests.ts';
import { startDashboardServer, type DashboardServer } from '../web/dashboard-server.ts';
import {
  applyLeakDetectionPatch,
  DEFAULT_IGNORED_HEADERS,
  DEFAULT_LEAK_DETECTION,
  DEFAULT_MAX_INSTANCES,
  type LeakDetectionSettings,
  type PoolKnobs,
} from '../../protocol/index.ts';
import {
  byteSize,
  collect,
  dirOption,
  duration,
  envVar,
  headerOption,
  optOption,
  leakCheckMode,
  socketAddress,
  wasiOption,
  wasmOption,
  wasmtimeBool,
  wasmtimeBytes,
  wholeNumber,
  type DirSpec,
} from './parse.ts';
import { refusalForUnknownOption, UnsupportedFlagError } from './wasmtime-flags.ts';
import { closePreopens, preopenLine, resolvePreopens, PreopenError } from './preopens.ts';
import { createServer, type Server } from 'node:net';
import { summariseRepeats } from '../events/repeat-summary.ts';
import { errnoCode } from '../../base/errno.ts';
import { tcpAddress } from '../server/listen.ts';
import { reportSessionToStderr } from '../bridge/session-stderr.ts';
import { writeEventsAsJsonLines } from '../events/json-lines.ts';
import { reportServingChanges } from '../bridge/serving-lines.ts';

interface ServeFlags {
  addr: { host: string; port: number };
  maxInstanceReuseCount?: number;
  maxInstanceConcurrentReuseCount?: number;
  idleInstanceTimeout?: number;
  requestTimeout?: number;
  /** -W / --wasm */
  wasm: Record<string, string>;
  /** -S / --wasi */
  wasi: Record<string, string>;
  maxConcurrentRequests?: number;
  maxInstances?: number;
  executors?: number;
  /** -O / --optimize */
  optimize: Record<string, string>;
  maxRequestBodySize?: number;
  shutdownGrace: number;
  loggingPrefix: boolean;
  events?: string;
  env: Array<[string, string]>;
  dir: DirSpec[];
  header: Array<[string, string]>;
  shutdownAddr?: { host: string; port: number };
  allowHttp: boolean;
  leakCheck?: ReturnType<typeof leakCheckMode>;
  leakCheckUnsafeMethods: boolean;
  leakIgnoreHeader: string[];
  leakReplayRate?: number;
  leakReplayQueue?: number;
  ui: boolean;
  uiAddr: { host: string; port: number };
}

/**
 * `serve`, refusing wasmtime's flags it does not take by name and with the reason (see
 * wasmtime-flags.ts) instead of commander's bare "unknown option".
 */
class WasmtimeServeCommand extends Command {
  /** Commander calls this (an undocumented hook) for the first option it does not know. */
  unknownOption(flag: string): void {
    const refusal = refusalForUnknownOption(flag);
    if (refusal !== undefined) this.error(`error: ${refusal}`, { exitCode: 1, code: 'poolscope.unsupportedFlag' });
    // Commander's typings omit the hook this overrides; its Command.prototype has it.
    (Command.prototype as unknown as { unknownOption(flag: string): void }).unknownOption.call(this, flag);
  }

  /** A -W/-S/-O parser whose refusals are one line (`error: -W fuel is not supported by …`). */
  refusing<T>(parse: (value: string, previous: T) => T): (value: string, previous: T) => T {
    return (value, previous) => {
      try {
        return parse(value, previous);
      } catch (error) {
        if (error instanceof UnsupportedFlagError)
          this.error(`error: ${error.message}`, { exitCode: 1, code: 'poolscope.unsupportedFlag' });
        throw error;
      }
    };
  }
}

export function serveCommand(): Command {
  const command = new WasmtimeServeCommand('serve');
  return command
    .description('serve a wasi:http component (a .wasm path, or demo:<name>) through the instance pool')
    .argument('<component>', 'path to a .wasm component, or demo:<name> for a built-in demo guest')
    .addOption(
      new Option('--addr <host:port>', 'address to listen on (port 0 picks a free one)')
        .default(socketAddress('127.0.0.1:8080'), '127.0.0.1:8080')
        .argParser(socketAddress),
    )
    .addOption(
      new Option(
        '--max-instance-reuse-count <n>',
        'requests one instance serves in total before it is retired (p2 default 1, p3 default 128)',
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option(
        '--max-instance-concurrent-reuse-count <n>',
        'requests in flight on one instance at once (p3 default 16; always 1 for p2)',
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option('--idle-instance-timeout <dur>', 'how long an idle instance is kept for reuse (default 1s)').argParser(
        duration,
      ),
    )
    .addOption(
      new Option('--request-timeout <dur>', 'per-request timeout, same as -W timeout=DUR (default: none)').argParser(
        duration,
      ),
    )
    .addOption(
      new Option(
        '-W, --wasm <name=value,...>',
        "wasmtime-style option; supported: timeout=DUR, max-memory-size=BYTES (each guest linear memory's bound, default 256MiB); others are refused by name",
      )
        .argParser(command.refusing(wasmOption))
        .default({}),
    )
    .addOption(
      new Option(
        '-S, --wasi <name[=value],...>',
        'wasmtime-style WASI option: inherit-env, cwd=PATH; accepted as always on: cli, p3, http; others are refused by name',
      )
        .argParser(command.refusing(wasiOption))
        .default({}),
    )
    .addOption(
      new Option(
        '--max-concurrent-requests <n>',
        'requests let into the pool at once; the rest wait (default 1000)',
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option(
        '--max-instances <n>',
        `live instances at most; at the cap requests wait in the queue (default ${DEFAULT_MAX_INSTANCES})`,
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option(
        '-O, --optimize <name=value,...>',
        'wasmtime-style option; supported: pooling-total-component-instances=N (same as --max-instances); others are refused by name',
      )
        .argParser(command.refusing(optOption))
        .default({}),
    )
    .addOption(
      new Option(
        '--executors <n>',
        `executor threads hosting the instances (default: one per core, ${defaultExecutorCount()} here)`,
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option('--max-request-body-size <bytes>', 'larger request bodies get 413 (default 64MiB)').argParser(
        byteSize,
      ),
    )
    .addOption(
      new Option(
        '--shutdown-grace <dur>',
        'on SIGINT/SIGTERM, how long in-flight requests may finish before they are cut short',
      )
        .default(5000, '5s')
        .argParser(duration),
    )
    .option('--no-logging-prefix', 'print guest output without the "stdout [ID] :: " prefix')
    .option(
      '--events <file>',
      'write every lifecycle event of this server (not of a dashboard scenario) as a JSON line to FILE (- for stdout)',
    )
    .addOption(
      new Option(
        '--env <name[=value]>',
        'environment variable for the guest (repeatable; NAME alone passes it through, or leaves it unset if Poolscope has none)',
      )
        .argParser(envVar)
        .default([]),
    )
    .addOption(
      new Option(
        '--dir <host[::guest]>',
        'preopen host directory HOST for the guest, read-write, as GUEST (default: the same name); repeatable; nothing is preopened by default',
      )
        .argParser(dirOption)
        .default([]),
    )
    .addOption(
      new Option(
        '-H, --header <header>',
        "replace or add a request header before the guest sees it: 'name: value', or @FILE with one per line (repeatable)",
      )
        .argParser(headerOption)
        .default([]),
    )
    .addOption(
      new Option(
        '--shutdown-addr <host:port>',
        'connecting to this address starts a graceful shutdown, as SIGINT does',
      ).argParser(socketAddress),
    )
    .option('--allow-http', 'let the guest make outgoing HTTP requests (denied by default)', false)
    .addOption(
      new Option(
        '--leak-check <mode>',
        "replay reused instances' answers on fresh instances and report differences: off, all, or a fraction such as 0.1 (default off)",
      ).argParser(leakCheckMode),
    )
    .option(
      '--leak-check-unsafe-methods',
      'also replay requests whose method has side effects (POST, PUT, DELETE, ...)',
      false,
    )
    .addOption(
      new Option(
        '--leak-replay-rate <n>',
        'leak replays started per second at most (default 10): each starts a fresh instance',
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option(
        '--leak-replay-queue <n>',
        'reused answers waiting for a leak replay at most (default 64, up to 1000); beyond it they are skipped',
      ).argParser(wholeNumber),
    )
    .addOption(
      new Option(
        '--leak-ignore-header <name>',
        `header left out of leak comparisons, besides ${DEFAULT_IGNORED_HEADERS.join(', ')} (repeatable)`,
      )
        .argParser(collect)
        .default([]),
    )
    .option('--ui', 'also serve the live dashboard (web mode) and print its URL', false)
    .addOption(
      new Option('--ui-addr <host:port>', 'address of the dashboard (port 0 picks a free one)')
        .default(socketAddress('127.0.0.1:0'), '127.0.0.1:0')
        .argParser(socketAddress),
    )
    .addHelpText(
      'after',
      "\nDurations use wasmtime's syntax: 100us, 40ms, 2s, or a bare integer of seconds.\nGuests get no filesystem but the directories --dir preopens, and no sockets.\nwasmtime flags Poolscope does not take (--profile, -C, -D, --max-concurrent-connections, …) are refused by name.",
    )
    .action(async (component: string, flags: ServeFlags) => {
      await runServe(component, flags);
    });
}

async function runServe(componentSpec: string, flags: ServeFlags): Promise<void> {
  const knobs: Partial<PoolKnobs> = {};
  if (flags.maxInstanceReuseCount !== undefined) knobs.maxInstanceReuseCount = flags.maxInstanceReuseCount;
  if (flags.maxInstanceConcurrentReuseCount !== undefined)
    knobs.maxInstanceConcurrentReuseCount = flags.maxInstanceConcurrentReuseCount;
  if (flags.idleInstanceTimeout !== undefined) knobs.idleInstanceTimeoutMs = flags.idleInstanceTimeout;
  const timeout = flags.requestTimeout ?? (flags.wasm.timeout !== undefined ? duration(flags.wasm.timeout) : undefined);
  if (timeout !== undefined) knobs.requestTimeoutMs = timeout;
  if (flags.maxConcurrentRequests !== undefined) knobs.maxConcurrentRequests = flags.maxConcurrentRequests;
  const pooled = flags.optimize['pooling-total-component-instances'];
  const maxInstances = flags.maxInstances ?? (pooled !== undefined ? Number(pooled) : undefined);
  if (maxInstances !== undefined) knobs.maxInstances = maxInstances;
  if (flags.maxRequestBodySize !== undefined) knobs.maxRequestBodyBytes = flags.maxRequestBodySize;

  const leakDetection: Partial<LeakDetectionSettings> = {
    ...flags.leakCheck,
    replayUnsafeMethods: flags.leakCheckUnsafeMethods,
    ignoredHeaders: [...DEFAULT_IGNORED_HEADERS, ...flags.leakIgnoreHeader],
    ...(flags.leakReplayRate !== undefined ? { maxReplaysPerSecond: flags.leakReplayRate } : {}),
    ...(flags.leakReplayQueue !== undefined ? { maxQueuedReplays: flags.leakReplayQueue } : {}),
  };
  // Checked here, as a usage error: the session would refuse them too, but as an internal error.
  const leakCheck = applyLeakDetectionPatch(DEFAULT_LEAK_DETECTION, leakDetection);
  if (!leakCheck.ok) {
    process.stderr.write(`error: ${leakCheck.error}\n`);
    process.exit(1);
  }
  let preopens: Awaited<ReturnType<typeof resolvePreopens>>;
  try {
    preopens = await resolvePreopens(flags.dir);
  } catch (error) {
    if (!(error instanceof PreopenError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
  // -S inherit-env: every host variable first, then the --env ones (wasmtime pushes both).
  const inheritEnv =
    flags.wasi['inherit-env'] !== undefined && wasmtimeBool(flags.wasi['inherit-env'], '-S inherit-env');
  const env: Array<[string, string]> = [
    ...(inheritEnv
      ? Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined)
      : []),
    ...flags.env,
  ];
  const filesystem =
    preopens.length > 0 || flags.wasi.cwd !== undefined
      ? { preopens, ...(flags.wasi.cwd !== undefined ? { initialCwd: flags.wasi.cwd } : {}) }
      : undefined;

  const stderr = summariseRepeats((line) => process.stderr.write(`${line}\n`));
  process.once('exit', stderr.flush);
  const session = new DashboardSession({
    component: componentSpec,
    knobs,
    leakDetection,
    listen: flags.addr,
    env,
    ...(filesystem ? { filesystem } : {}),
    ...(flags.header.length > 0 ? { requestHeaders: flags.header } : {}),
    allowOutgoingHttp: flags.allowHttp,
    ...(flags.executors !== undefined ? { executors: flags.executors } : {}),
    ...(flags.wasm['max-memory-size'] !== undefined
      ? { maxMemoryBytes: wasmtimeBytes(flags.wasm['max-memory-size'], '-W max-memory-size') }
      : {}),
    onFrontDoorError: (message) => stderr.write(`error: ${message}`),
  });
  // Its own summaries of repeated failures go out at exit too.
  process.once('exit', reportSessionToStderr(session, { loggingPrefix: flags.loggingPrefix, write: stderr.write }));
  let eventsFile: ReturnType<typeof writeEventsAsJsonLines> | undefined;
  try {
    eventsFile = flags.events ? writeEventsAsJsonLines(session.userBus, flags.events) : undefined;
  } catch (error) {
    process.stderr.write(`error: --events: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  session.useRequestSender(sendRequestsFromDashboard);
  let dashboard: DashboardServer | undefined;
  try {
    await session.start();
    if (flags.ui) dashboard = await startDashboardServer(session, flags.uiAddr);
  } catch (error) {
    const inUse = errnoCode(error) === 'EADDRINUSE';
    const known = error instanceof ComponentLoadError || error instanceof InvalidKnobsError || inUse;
    process.stderr.write(
      `error: ${error instanceof Error ? error.message : String(error)}${inUse ? addressInUseHint(error, session.serving !== null) : ''}\n`,
    );
    process.exit(known ? 1 : 70);
  }

  // SIGINT/SIGTERM: stop accepting, let in-flight requests finish for the grace period, then cut
  // them short; a second signal quits at once. Either way the process exits within seconds.
  let stopping = false;
  const quitNow = (why: string): never => {
    process.stderr.write(`${why}\n`);
    session.serving?.pool.terminate();
    process.exit(1);
  };
  const stop = (): void => {
    if (stopping) quitNow('Stopping now.');
    stopping = true;
    process.stderr.write(
      `Waiting up to ${flags.shutdownGrace} ms for in-flight requests to finish, ctrl-c again to quit sooner...\n`,
    );
    // What the stop is waiting for, named when the grace runs out: the requests are the usual
    // reason, but on a starved machine it can be the dashboard or the events file.
    let pending = 'Stopping (waiting for the dashboards to disconnect)';
    setTimeout(
      () => quitNow(`${pending} did not finish within ${flags.shutdownGrace} ms; stopping now.`),
      flags.shutdownGrace,
    ).unref();
    void (async () => {
      await dashboard?.close();
      pending = 'In-flight requests';
      await session.close();
      closePreopens(preopens); // no instance starts any more
      pending = 'Stopping (waiting for the --events file)';
      await eventsFile?.close(); // the last events (instance exits) must reach the file
      process.exit(0);
    })().catch((error: unknown) =>
      quitNow(`Graceful stop failed (${error instanceof Error ? error.message : String(error)}); stopping now.`),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (flags.shutdownAddr) {
    const shutdownServer = await listenForShutdown(flags.shutdownAddr, stop).catch((error: Error) => {
      process.stderr.write(`error: --shutdown-addr: ${error.message}\n`);
      return quitNow('Stopping now.');
    });
    const address = tcpAddress(shutdownServer);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    process.stderr.write(`Listening for shutdown on tcp://${host}:${address.port}/\n`);
  }
  for (const preopen of preopens) process.stderr.write(`${preopenLine(preopen)}\n`);
  const frontDoor = session.serving?.frontDoor;
  if (!frontDoor) throw new Error('the session started without serving its component'); // start() serves the component it was given
  process.stderr.write(`Serving HTTP on ${frontDoor.url}\n`);
  if (dashboard)
    process.stderr.write(`Dashboard: ${dashboard.url}\n${dashboard.warning ? `${dashboard.warning}\n` : ''}`);
  // From now on every address change is printed too (a reload, a stop, a scenario and its end).
  reportServingChanges(session, (line) => void process.stderr.write(`${line}\n`));
}

/** wasmtime's `--shutdown-addr`: the first connection to it starts a graceful shutdown. Once it
 * listens, a later error of the listener (say, accepting with no descriptors left) is logged, and
 * the server carries on (signals still stop it). */
export function listenForShutdown(
  addr: { host: string; port: number },
  stop: () => void,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.destroy();
      server.close();
      stop();
    });
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      server.on('error', (error: Error) => log(`error: --shutdown-addr: ${error.message}`));
      server.unref();
      resolve(server);
    });
  });
}

/**
 * What to do about an address in use: the flag that picks a free port, for the front door or (once
 * it is serving) the dashboard, and the same through `npm start`.
 */
export function addressInUseHint(error: unknown, dashboard: boolean): string {
  const flag = dashboard ? '--ui-addr' : '--addr';
  const address =
    typeof error === 'object' && error !== null && 'address' in error && typeof error.address === 'string'
      ? error.address
      : undefined;
  const host = address ?? '127.0.0.1';
  const free = `${host.includes(':') ? `[${host}]` : host}:0`;
  return ` (something else is listening there): pass ${flag} ${free} to take a free port (through npm start: \`npm start -- ${flag} ${free}\`)`;
}
