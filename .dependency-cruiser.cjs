// The layer table of ARCHITECTURE.md ("Layers"), checked: `npm run lint:layers` (run by `npm test`).
// One forbidden rule per row of the table, named after the row; each lists what the row may
// import, and anything else of ours is an error. Change the table and this file together.
//
// What "ours" means: the folders below. Packages (node_modules, node:*) are not layered here.
// Tests (`*.test.ts`, test support) may import any layer they exercise, so the layer rules apply
// to production code; production code may not import tests or test support.

/** Our folders: everything the layer rules speak about. */
const OURS = '^(base|protocol|engine|electron|renderer/src|assets/guests|bin|e2e)/';

/** Tests and the helpers only tests use. */
const TESTS = [
  '[.]test[.]tsx?$',
  '(^|/)test-support([.]ts$|/)',
  '^engine/test/',
  '^e2e/',
  '^renderer/src/recording/test-streams[.]ts$',
];

// Rows of the table that other rows name, as path patterns.
const BASE = '^base/';
const PROTOCOL = '^protocol/';
const HTTP_RULES = '^engine/host/http-rules[.]ts$';
const THREAD_ENTRY = '^engine/thread-entry[.]ts$';
const SERVE = '^engine/serve[.]ts$';

/**
 * A row of the table: code under `from` may import its own folder and `allowed`, nothing else of ours.
 * `row` is how ARCHITECTURE.md names the row, so a failure names the row to read.
 */
function layer(row, from, allowed) {
  const readable = allowed.map((pattern) => pattern.replace(/^\^/, '').replace(/\[\.\]/g, '.').replace(/\$$/, ''));
  return {
    name: `layer ${row}`,
    comment:
      `ARCHITECTURE.md, Layers, row ${row}: besides its own folder it may import ` +
      `${readable.length === 0 ? 'nothing of ours' : `only ${readable.join(', ')}`}.`,
    severity: 'error',
    from: { path: from, pathNot: TESTS },
    to: { path: OURS, pathNot: [from, ...allowed] },
  };
}

module.exports = {
  forbidden: [
    // base/: formatting and parsing of bytes, durations and socket addresses, the memory-growth
    // wording, the pool <-> instance HTTP exchange types. The bottom: zod at most.
    layer('base/', BASE, []),
    // protocol/: the contract of the engine, the shell and the dashboard.
    layer('protocol/', PROTOCOL, [BASE]),
    // engine/host/http-rules.ts: the header and trailer rules both hosts and the front door follow.
    layer('engine/host/http-rules.ts', HTTP_RULES, [BASE]),
    // engine/host/outgoing/: outgoing HTTP for both worlds; its record is the protocol's OutgoingCall.
    layer('engine/host/outgoing/', '^engine/host/outgoing/', [HTTP_RULES, PROTOCOL, BASE]),
    // engine/host/p2/: the WASIp2 host, in front of which it puts the outgoing client.
    layer('engine/host/p2/', '^engine/host/p2/', ['^engine/host/outgoing/', HTTP_RULES, BASE]),
    // engine/host/p3/: the p2 host plus the p3 members.
    layer('engine/host/p3/', '^engine/host/p3/', ['^engine/host/p2/', '^engine/host/outgoing/', HTTP_RULES, BASE]),
    // engine/thread-entry.ts: where a worker thread starts from (sources or the app's bundle).
    layer('engine/thread-entry.ts', THREAD_ENTRY, []),
    // engine/component/: loads a component; checks its imports against what the hosts implement,
    // transpiles with the host's JSPI list, instruments on a thread; demos come from the guest build.
    layer('engine/component/', '^engine/component/', ['^engine/host/', THREAD_ENTRY, '^assets/guests/build[.]ts$', PROTOCOL, BASE]),
    // engine/thread/: the executor thread and the instances it hosts.
    layer('engine/thread/', '^engine/thread/', ['^engine/host/', '^engine/component/interrupt-instrument[.]ts$', PROTOCOL, BASE]),
    // engine/events/: the bus and its sinks (JSON lines, stderr).
    layer('engine/events/', '^engine/events/', [PROTOCOL, BASE]),
    // engine/pool/: the pool (main thread); talks to threads through their messages and flow windows.
    layer('engine/pool/', '^engine/pool/', ['^engine/thread/messages[.]ts$', '^engine/thread/response-flow[.]ts$', '^engine/component/load[.]ts$', '^engine/events/', THREAD_ENTRY, PROTOCOL, BASE]),
    // engine/server/: the HTTP front door, in front of the pool.
    layer('engine/server/', '^engine/server/', ['^engine/pool/', HTTP_RULES, PROTOCOL, BASE]),
    // engine/leaks/: the leak detector and the memory-growth watch, beside the pool.
    layer('engine/leaks/', '^engine/leaks/', ['^engine/pool/', '^engine/component/load[.]ts$', '^engine/events/', PROTOCOL, BASE]),
    // engine/serve.ts: startServing(), which assembles a component, a pool, the leak detector and the front door.
    layer('engine/serve.ts', SERVE, ['^engine/component/', '^engine/host/', '^engine/events/', '^engine/pool/', '^engine/leaks/', '^engine/server/', PROTOCOL, BASE]),
    // engine/loadgen/: the load generator, on a thread of its own.
    layer('engine/loadgen/', '^engine/loadgen/', [THREAD_ENTRY, PROTOCOL, BASE]),
    // engine/scenarios/: teaching scenarios, driving a serving session with the load generator.
    layer('engine/scenarios/', '^engine/scenarios/', ['^engine/loadgen/', '^engine/events/', SERVE, PROTOCOL, BASE]),
    // engine/bridge/: the dashboard's session, which serves, loads, runs scenarios and load on its commands.
    layer('engine/bridge/', '^engine/bridge/', [SERVE, '^engine/component/', '^engine/scenarios/', '^engine/loadgen/', '^engine/events/', PROTOCOL, BASE]),
    // engine/web/: web mode, the session behind a WebSocket.
    layer('engine/web/', '^engine/web/', ['^engine/bridge/', '^engine/server/listen[.]ts$', PROTOCOL, BASE]),
    // engine/cli/: the commands; they put the engine together.
    layer('engine/cli/', '^engine/cli/', ['^engine/', PROTOCOL, BASE]),
    // engine/bench/: the benchmarks; like the CLI, plus the guest build.
    layer('engine/bench/', '^engine/bench/', ['^engine/', '^assets/guests/', PROTOCOL, BASE]),
    // assets/guests/: the guest builder.
    layer('assets/guests/', '^assets/guests/', []),
    // bin/: the launchers of the CLI.
    layer('bin/', '^bin/', ['^engine/cli/poolscope[.]ts$']),
    // renderer/: the dashboard, which talks to the engine only through the protocol.
    layer('renderer/', '^renderer/src/', [PROTOCOL, BASE]),
    // electron/: the desktop shell, a session in its main process, reported to stderr as the CLI does.
    layer('electron/', '^electron/', ['^engine/bridge/', '^engine/events/', PROTOCOL, BASE]),
    {
      name: 'not-to-test',
      comment: 'Production code does not import tests or test support (ARCHITECTURE.md, Layers).',
      severity: 'error',
      from: { path: OURS, pathNot: TESTS },
      to: { path: TESTS },
    },
    {
      name: 'no-circular',
      comment:
        'No import cycles between modules. Type-only imports are erased before anything runs ' +
        '(verbatimModuleSyntax), so they make no load-order cycle and are left out: a zustand slice ' +
        'naming the whole store type, a handle and the context it is given.',
      severity: 'error',
      from: { path: OURS },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: { path: OURS },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API, which dependency-cruiser's own TypeScript parser needs;
    // swc parses .ts/.tsx (type-only imports included) much faster anyway.
    parser: 'swc',
    exclude: { path: ['^electron/build/', '^renderer/dist/', '^assets/guests/(zoo|dist|js|wat|p3)/', 'node_modules'] },
    doNotFollow: { path: 'node_modules' },
    // Specifiers name the file with its extension (allowImportingTsExtensions), so resolution needs
    // no tsconfig paths; these are the extensions an extension-less package import may have.
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.mjs', '.cjs', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    moduleSystems: ['es6', 'cjs'],
    reporterOptions: { text: { highlightFocused: true } },
  },
};
