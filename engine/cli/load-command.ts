import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_CONNECTIONS,
  HTTP_METHODS,
  InvalidLoadOptionsError,
  LoadTargetError,
  formatSummary,
  progressLine,
  runLoad,
  type HttpMethod,
  type LoadOptions,
  type LoadProgressUpdate,
} from '../loadgen/index.ts';
import { duration, socketAddress, wholeNumber } from './parse.ts';

interface LoadFlags {
  connections: number;
  duration?: number;
  count?: number;
  rate?: number;
  method: HttpMethod;
  path?: string;
  header: Record<string, string>;
  body?: string;
  timeout?: number;
  json: boolean;
  progress: boolean;
}

/** `poolscope load <url>`: closed-loop or open-loop HTTP load with live progress and a summary. */
export function loadCommand(): Command {
  return new Command('load')
    .description(
      'send HTTP load to a URL (a closed loop of keep-alive clients, or a fixed rate) and summarise throughput, latency and errors',
    )
    .argument('<url>', 'target: http://HOST:PORT/path, or HOST:PORT', targetUrl)
    .addOption(
      new Option(
        '-c, --connections <n>',
        'concurrent keep-alive connections (closed loop: clients; open loop: connections the rate is spread over)',
      )
        .default(DEFAULT_CONNECTIONS)
        .argParser(positive('connections')),
    )
    .addOption(
      new Option('-d, --duration <dur>', 'how long to run (default 10s; with -n, a cap)').argParser(positiveDuration),
    )
    .addOption(new Option('-n, --count <n>', 'stop after this many requests').argParser(positive('count')))
    .addOption(
      new Option('--rate <r>', 'open loop: requests per second over all connections').argParser(positive('rate')),
    )
    .addOption(
      new Option('-m, --method <method>', `HTTP method (${HTTP_METHODS.join(', ')})`).default('GET').argParser(method),
    )
    .addOption(
      new Option('--path <path>', "request path and query, replacing the URL's (e.g. /?ms=40)").argParser(requestPath),
    )
    .addOption(
      new Option('-H, --header <name:value>', 'request header (repeatable)').argParser(header).default({}, 'none'),
    )
    .option('--body <text>', 'request body')
    .addOption(
      new Option(
        '--timeout <dur>',
        'a request without a response after this long is a timeout (default 10s, at least 1s)',
      ).argParser(timeout),
    )
    .option('--json', 'print the summary as JSON on stdout', false)
    .option('--no-progress', 'no progress bar, even on a terminal')
    .showHelpAfterError('(run poolscope load --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        "Durations use wasmtime's syntax: 100us, 40ms, 2s, or a bare integer of seconds.",
        "The open loop sends each second's requests (--rate) at the start of that second, over at most",
        '-c connections: a server slower than the rate gets fewer requests, not a growing backlog.',
        '',
        'Examples:',
        '  poolscope load http://127.0.0.1:8080/ -c 50 -d 10s',
        '  poolscope load 127.0.0.1:8080 -n 1000 --path "/?ms=40"',
        '  poolscope load http://127.0.0.1:8080/ --rate 200 -d 30s --json',
      ].join('\n'),
    )
    .action(async function (this: Command, url: string, flags: LoadFlags) {
      await runLoadCommand(this, url, flags);
    });
}

async function runLoadCommand(command: Command, url: string, flags: LoadFlags): Promise<void> {
  const target = new URL(url);
  if (flags.path !== undefined) {
    const withPath = new URL(flags.path, target);
    target.pathname = withPath.pathname;
    target.search = withPath.search;
  }
  if (flags.body !== undefined && (flags.method === 'GET' || flags.method === 'HEAD')) {
    command.error(`error: --body needs a method that takes a body (e.g. -m POST), not ${flags.method}`);
  }

  const abort = new AbortController();
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tty = flags.progress && process.stderr.isTTY === true;
  const onProgress = tty
    ? (update: LoadProgressUpdate): void => {
        const width = process.stderr.columns || 80;
        process.stderr.write(
          `\r${progressLine(update, width).slice(0, width - 1)}\x1b[K${update.finished ? '\n' : ''}`,
        );
      }
    : undefined;

  const options: LoadOptions = {
    url: target.href,
    method: flags.method,
    headers: flags.header,
    connections: flags.connections,
    signal: abort.signal,
    ...(flags.duration !== undefined ? { durationMs: flags.duration } : {}),
    ...(flags.count !== undefined ? { count: flags.count } : {}),
    ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
    ...(flags.body !== undefined ? { body: flags.body } : {}),
    ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
    ...(tty ? { progressIntervalMs: 100 } : {}),
  };
  try {
    const summary = await runLoad(options, onProgress);
    process.stdout.write(flags.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  } catch (error) {
    if (error instanceof InvalidLoadOptionsError) command.error(`error: ${error.message}`);
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof LoadTargetError ? 1 : 70;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `http://…`/`https://…` as given, or `HOST:PORT` → `http://HOST:PORT/`. */
function targetUrl(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`'${value}' is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`'${value}': only http:// and https:// URLs can be loaded`);
    }
    return url.href;
  }
  let address: { host: string; port: number };
  try {
    address = socketAddress(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is neither a URL (http://HOST:PORT/path) nor HOST:PORT`);
  }
  if (address.port === 0) throw new InvalidArgumentError(`'${value}': port 0 cannot be a target`);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}/`;
}

function positiveDuration(value: string): number {
  const ms = duration(value);
  if (ms <= 0) throw new InvalidArgumentError(`'${value}' is not a duration above 0`);
  return ms;
}

function timeout(value: string): number {
  const ms = duration(value);
  if (ms < 1000) throw new InvalidArgumentError(`'${value}' is shorter than the shortest timeout, 1s`);
  return ms;
}

function positive(what: string): (value: string) => number {
  return (value) => {
    const n = wholeNumber(value);
    if (n < 1) throw new InvalidArgumentError(`${what} must be at least 1`);
    return n;
  };
}

function method(value: string): HttpMethod {
  const upper = value.toUpperCase();
  const known = HTTP_METHODS.find((m) => m === upper);
  if (known === undefined) throw new InvalidArgumentError(`'${value}' is not one of ${HTTP_METHODS.join(', ')}`);
  return known;
}

function requestPath(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError(`'${value}' must start with /`);
  return value;
}

/** `Name: value` (curl style) or `Name=value`. */
function header(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*[:=]\s*(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`'${value}' is not a header of the form 'Name: value'`);
  // biome-ignore lint/style/noNonNullAssertion: both groups are required by the pattern
  return { ...previous, [match[1]!]: match[2]! };
}
