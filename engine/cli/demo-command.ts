import { Command } from 'commander';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import { sendRequestsFromDashboard } from '../bridge/send-requests.ts';
import type { ScenarioPhaseResult, ScenarioProgress } from '../../protocol/index.ts';
import { findScenario, SCENARIOS } from '../scenarios/catalog.ts';
import { startDashboardServer } from '../web/dashboard-server.ts';
import { socketAddress } from './parse.ts';
import { reportServingChanges } from '../bridge/serving-lines.ts';

interface DemoFlags {
  quick: boolean;
  wait: boolean;
  exit: boolean;
  addr: { host: string; port: number };
  uiAddr: { host: string; port: number };
}

/** `poolscope demo <scenario>`: a teaching scenario in web mode, captions echoed on stderr. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run a teaching scenario in the dashboard (web mode); without a name, list them')
    .argument('[scenario]', `one of: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--quick', 'short load phases and pauses (a preview)', false)
    .option('--no-wait', 'start at once instead of when the dashboard first connects')
    .option('--exit', 'exit when the scenario ends (status 0 if it finished, 1 if not) instead of serving on', false)
    .option('--addr <host:port>', 'address the scenario guests listen on', socketAddress, socketAddress('127.0.0.1:0'))
    .option('--ui-addr <host:port>', 'address of the dashboard', socketAddress, socketAddress('127.0.0.1:0'))
    .action(async (name: string | undefined, flags: DemoFlags) => {
      if (!name) {
        for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(20)} ${s.title}: ${s.summary}\n`);
        return;
      }
      try {
        findScenario(name);
      } catch (error) {
        process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
      await runDemo(name, flags);
    });
}

async function runDemo(name: string, flags: DemoFlags): Promise<void> {
  const session = new DashboardSession({ component: null, listen: flags.addr });
  session.useRequestSender(sendRequestsFromDashboard);
  // Each guest the scenario serves, and where (it listens once the scenario loads it).
  reportServingChanges(session, (line) => void process.stderr.write(`${line}\n`));
  const dashboard = await startDashboardServer(session, flags.uiAddr);
  // One write, so whoever waits for the address also sees what happens next.
  process.stderr.write(
    `Dashboard: ${dashboard.url}\n${dashboard.warning ? `${dashboard.warning}\n` : ''}${flags.wait ? 'Open the dashboard to start the scenario.\n' : ''}`,
  );
  const shutdown = async (code: number): Promise<never> => {
    await dashboard.close();
    await session.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  if (flags.wait) await session.whenAttached();
  // Attached after the wait: this printer is a peer too, and must not count as the audience.
  let shown = -1;
  const finished = new Promise<ScenarioProgress>((resolve) => {
    session.attach({
      send(message) {
        if (message.kind !== 'scenario' || message.progress.name !== name) return;
        const progress = message.progress;
        if (progress.step !== shown && progress.state === 'running') {
          shown = progress.step;
          process.stderr.write(`[${progress.step + 1}/${progress.steps}] ${progress.caption}\n`);
        }
        if (progress.state !== 'running') resolve(progress);
      },
    });
  });
  await session.execute({ type: 'runScenario', name, quick: flags.quick });
  const final = await finished;
  process.stderr.write(summary(final));
  if (flags.exit) await shutdown(final.state === 'finished' ? 0 : 1);
  // Nothing of the user's to give back: the scenario's last guest keeps serving, to be explored.
  process.stderr.write("The dashboard and the scenario's last guest stay up; ctrl-c to quit.\n");
}

function summary(progress: ScenarioProgress): string {
  const lines = [`Scenario ${progress.state}${progress.error ? `: ${progress.error}` : ''}.`];
  for (const r of progress.results) lines.push(`  ${r.label.padEnd(22)} ${phaseLine(r)}`);
  return `${lines.join('\n')}\n`;
}

function phaseLine(r: ScenarioPhaseResult): string {
  return [
    `${r.requests} requests (${r.failed} failed)`,
    ...(r.requestsPerSecond === null ? [] : [`${Math.round(r.requestsPerSecond)} req/s`]),
    `${r.instancesStarted} instances started`,
    `live avg ${r.averageLiveInstances.toFixed(1)}, peak ${r.peakLiveInstances}`,
    ...(r.leakChecks > 0 ? [`${r.leaks}/${r.leakChecks} leaks`] : []),
  ].join(', ');
}
