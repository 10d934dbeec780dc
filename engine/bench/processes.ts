/**
 * Server processes for the benchmark: each is started as the leader of its own process group, so
 * the whole tree (jco serve runs its server as a grandchild) is killed with one signal; every
 * group still alive is SIGKILLed when the benchmark exits, whatever the reason. Memory is the
 * sum of VmRSS over the tree, sampled, plus each process's own VmHWM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const live = new Set<number>();
let cleanupInstalled = false;

/** Kills every group still alive; synchronous, so it is safe in an `exit` handler. */
export function killAllGroups(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/**
 * A benchmark script's scratch folder, and `cleanUp`: kill every server group still alive, run
 * `alsoOnCleanUp` (an upstream to close), remove the folder. SIGINT and SIGTERM clean up and exit
 * 130; the script calls `cleanUp` on its own ways out.
 */
export function scratchFolder(
  prefix: string,
  log: (line: string) => void,
  alsoOnCleanUp: () => void = () => {},
): { scratch: string; cleanUp: () => void } {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const cleanUp = (): void => {
    killAllGroups();
    alsoOnCleanUp();
    rmSync(scratch, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      log(`\n${signal}: stopping every server`);
      cleanUp();
      process.exit(130);
    });
  }
  return { scratch, cleanUp };
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllGroups);
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  /** Everything printed so far (stdout and stderr interleaved), capped at the last 64 KiB. */
  output(): string;
  /** Resolves with the exit code/signal; never rejects. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** SIGTERM to the group, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_CAP = 64 * 1024;

/** Starts `node ARGS` (or `options.command ARGS`: another program, such as a browser) as a group leader. */
export function startProcess(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; command?: string },
): ServerProcess {
  installCleanup();
  const child = spawn(options.command ?? process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  live.add(pid);
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  for (const pipe of outputPipes(child)) pipe.on('data', append);
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
    child.on('error', () => {
      exitedFlag = true;
      resolve({ code: null, signal: null });
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };
  return {
    child,
    pid,
    output: () => output,
    exited,
    hasExited: () => exitedFlag,
    stop: async (graceMs = 3000) => {
      signalGroup('SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
      if ((await Promise.race([exited, timer])) === 'timeout') signalGroup('SIGKILL');
      // Grandchildren (jco's server) may outlive the leader: the group gets a SIGKILL either way.
      signalGroup('SIGKILL');
      await exited;
      live.delete(pid);
    },
  };
}

/**
 * What a failure report quotes of a server's output: its last lines, and, when V8 aborted, the
 * `# Fatal error` / `# Check failed` headline too, which a native backtrace pushes out of the
 * last lines (and which is the one line that says which V8 check failed).
 */
export function lastOutput(server: ServerProcess, lines = 5): string {
  const all = server.output().trim().split('\n');
  const fatal = all.filter((line) => /^#\s*(Fatal error|Check failed|Debug check failed)|^FATAL ERROR:/.test(line));
  const tail = all.slice(-lines).filter((line) => !fatal.includes(line));
  const quoted = [...fatal.slice(0, 3), ...tail].join(' / ').trim();
  return quoted ? ` (last output: ${quoted})` : '';
}

/** stdout and stderr of a process startProcess spawned (it asks for both as pipes). */
function outputPipes(child: ChildProcess): [Readable, Readable] {
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new Error(`process ${child.pid} has no piped stdout and stderr`);
  return [stdout, stderr];
}

/** Resolves with the first match of `pattern` in the process output, or rejects when it exits or times out. */
export function waitForOutput(server: ServerProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const pipes = outputPipes(server.child);
    const check = (): boolean => {
      const match = pattern.exec(server.output());
      if (match) {
        cleanup();
        resolve(match);
        return true;
      }
      return false;
    };
    const onData = (): void => void check();
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      for (const pipe of pipes) pipe.off('data', onData);
    };
    for (const pipe of pipes) pipe.on('data', onData);
    void server.exited.then(({ code, signal }) => {
      // Let the last output arrive before deciding.
      setImmediate(() => {
        if (!check()) {
          cleanup();
          reject(new Error(`exited (${code ?? signal}) before printing ${pattern}`));
        }
      });
    });
    check();
  });
}

/** The base URL in the "Serving HTTP on <url>" line a server (poolscope serve, wasmtime serve) prints once it listens. */
export async function waitForServingUrl(server: ServerProcess, timeoutMs: number): Promise<string> {
  const match = await waitForOutput(server, /Serving HTTP on (http:\/\/\S+)/, timeoutMs);
  // biome-ignore lint/style/noNonNullAssertion: the pattern's only group is not optional, so a match has it
  return match[1]!;
}

/** Polls `url` until it answers 2xx; throws with the last status or error after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, server: ServerProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`exited before answering ${url}`);
    try {
      const status = await getStatus(url, Math.max(500, Math.min(5000, deadline - Date.now())));
      if (status >= 200 && status < 300) return;
      last = `status ${status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms (last: ${last})`);
}

function getStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A port free right now on 127.0.0.1 (for servers that cannot report the port they picked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The process and its descendants (via /proc/PID/task/TID/children). */
export function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (seen.includes(pid)) continue;
    seen.push(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) {
          if (child) queue.push(Number(child));
        }
      } catch {
        // the task ended
      }
    }
  }
  return seen;
}

/** VmRSS and VmHWM of one process in bytes, or null when it is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** The number of threads of one process (its `Threads:` line), or 0 when it is gone. */
export function threadsOf(pid: number): number {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Samples the tree's total RSS every `intervalMs` and tracks each process's VmHWM. The peak is
 * the larger of the sampled tree total and the biggest single VmHWM (exact for a lone process).
 */
export class MemorySampler {
  #timer: NodeJS.Timeout;
  #peakTreeRss = 0;
  readonly #hwm = new Map<number, number>();
  readonly root: number;

  constructor(root: number, intervalMs = 100) {
    this.root = root;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): void {
    let total = 0;
    for (const pid of processTree(this.root)) {
      const memory = memoryOf(pid);
      if (!memory) continue;
      total += memory.rss;
      this.#hwm.set(pid, Math.max(this.#hwm.get(pid) ?? 0, memory.hwm));
    }
    this.#peakTreeRss = Math.max(this.#peakTreeRss, total);
  }

  /** Stops sampling (after one last sample) and returns the peak in bytes. */
  finish(): { peakBytes: number; processes: number; hwmSumBytes: number } {
    this.sample();
    clearInterval(this.#timer);
    const hwms = [...this.#hwm.values()];
    return {
      peakBytes: Math.max(this.#peakTreeRss, ...hwms, 0),
      processes: this.#hwm.size,
      hwmSumBytes: hwms.reduce((a, b) => a + b, 0),
    };
  }
}

/** Clock ticks per second in /proc/PID/stat (USER_HZ: 100 on the Linux architectures Node runs on). */
const USER_HZ = 100;

/** CPU time (user + system, seconds) used so far by a process tree; processes gone count nothing. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      // the process ended
    }
  }
  return ticks / USER_HZ;
}
