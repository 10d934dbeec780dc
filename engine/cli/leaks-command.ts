import { Command, Option } from 'commander';
import { findLeaks } from './differential-replay.ts';
import { DEFAULT_IGNORED_HEADERS } from '../../protocol/index.ts';
import { collect, wholeNumber } from './parse.ts';

interface LeaksFlags {
  requests: number;
  path: string;
  method: string;
  body?: string;
  ignoreHeader: string[];
}

/** `poolscope leaks`: exit 1 when a reused instance answered differently from a fresh one, or failed where a fresh one answered. */
export function leaksCommand(): Command {
  return new Command('leaks')
    .description(
      'find state leaking between requests: drive N sequential requests through one reused instance, replay each on a fresh instance, report every difference',
    )
    .argument('<component>', 'path to a .wasm component, or demo:<name>')
    .addOption(
      new Option('--requests <n>', 'sequential requests through the reused instance').default(5).argParser(wholeNumber),
    )
    .option('--path <path>', 'request path (and query)', '/')
    .option('--method <method>', 'request method', 'GET')
    .option('--body <text>', 'request body')
    .addOption(
      new Option(
        '--ignore-header <name>',
        `header left out of comparisons, besides ${DEFAULT_IGNORED_HEADERS.join(', ')} (repeatable)`,
      )
        .argParser(collect)
        .default([]),
    )
    .addHelpText(
      'after',
      '\nExit status: 0 when every reused answer matched a fresh one (or both failed), 1 when a leak was found (a reused instance that failed where a fresh one answered included), 2 on an error (a replay that failed where the reused instance answered included).',
    )
    .action(async (component: string, flags: LeaksFlags) => {
      if (flags.requests < 2) {
        process.stderr.write(
          'error: --requests must be at least 2: the first request always lands on a fresh instance\n',
        );
        process.exit(2);
      }
      if (!flags.path.startsWith('/')) {
        process.stderr.write(`error: --path must start with / (got '${flags.path}')\n`);
        process.exit(2);
      }
      try {
        const report = await findLeaks({
          component,
          count: flags.requests,
          request: {
            method: flags.method.toUpperCase(),
            path: flags.path,
            ...(flags.body !== undefined ? { body: flags.body } : {}),
          },
          ignoredHeaders: [...DEFAULT_IGNORED_HEADERS, ...flags.ignoreHeader],
        });
        for (const finding of report.findings) {
          const where = `request ${finding.index} (${finding.request.method} ${finding.request.path}), instance ${finding.instanceId}, reuse #${finding.reuseIndex}`;
          process.stdout.write(`${finding.kind === 'failed-on-reuse' ? 'failed on reuse' : 'leak'}: ${where}\n`);
          for (const difference of finding.differences) process.stdout.write(`  ${difference}\n`);
        }
        for (const error of report.errors) process.stderr.write(`error: replay failed: ${error}\n`);
        const failedOnReuse = report.findings.filter((finding) => finding.kind === 'failed-on-reuse').length;
        const verdict =
          report.findings.length === 0
            ? 'no leaks'
            : `${report.findings.length} leak${report.findings.length === 1 ? '' : 's'}${failedOnReuse > 0 ? ` (${failedOnReuse} failed on reuse)` : ''}`;
        process.stdout.write(
          `${verdict}: ${report.compared} reused answers compared with fresh instances (${report.requests} requests, ${component})\n`,
        );
        process.exit(report.findings.length > 0 ? 1 : report.errors.length > 0 ? 2 : 0);
      } catch (error) {
        process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(2);
      }
    });
}
