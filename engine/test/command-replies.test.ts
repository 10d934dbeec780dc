/**
 * The command → reply map against the real engine: every command the dashboard can send, run
 * through a real `DashboardSession` serving a real component, replies with what the protocol's
 * reply schema for that command accepts, as it is (IPC's structured clone) and after JSON (the
 * WebSocket); every message the session pushed meanwhile parses with the server-message schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardSession } from '../bridge/dashboard-session.ts';
import { sendRequestsFromDashboard } from '../bridge/send-requests.ts';
import {
  commandReplySchemas,
  parseReply,
  serverMessageSchema,
  type CommandOf,
  type CommandType,
  type ServerMessage,
} from '../../protocol/index.ts';

/** One example of each command; the type makes a command added to the protocol fail to compile here until it has one. */
const EXAMPLES: { [K in CommandType]: CommandOf<K> } = {
  load: { type: 'load', component: 'demo:counter' },
  snapshot: { type: 'snapshot' },
  setKnobs: { type: 'setKnobs', patch: { maxInstanceReuseCount: 3 } },
  setLeakDetection: { type: 'setLeakDetection', patch: { mode: 'all' } },
  sendRequests: { type: 'sendRequests', count: 5, concurrency: 1, path: '/', method: 'GET' },
  requestDetail: { type: 'requestDetail', requestId: 0 },
  clearHistory: { type: 'clearHistory' },
  stop: { type: 'stop' },
  start: { type: 'start' },
  runScenario: { type: 'runScenario', name: 'state-leaks', quick: true },
  stopScenario: { type: 'stopScenario' },
};

/** An order in which each command can succeed (`stopScenario` needs a running scenario). */
const ORDER: CommandType[] = [
  'load',
  'snapshot',
  'setKnobs',
  'setLeakDetection',
  'sendRequests',
  'requestDetail',
  'clearHistory',
  'stop',
  'start',
  'runScenario',
  'stopScenario',
];

test('every command replies with what its reply schema accepts, over either transport', {
  timeout: 120_000,
}, async () => {
  assert.deepEqual([...ORDER].sort(), Object.keys(commandReplySchemas).sort(), 'every command of the map, once');
  const session = new DashboardSession({ component: null, listen: { host: '127.0.0.1', port: 0 } });
  session.useRequestSender(sendRequestsFromDashboard);
  const pushed: ServerMessage[] = [];
  session.attach({ send: (message) => void pushed.push(message) });
  const replies = new Map<CommandType, unknown>();
  try {
    for (const type of ORDER) {
      const reply = await session.execute(EXAMPLES[type]);
      replies.set(type, reply);
      const asIs = parseReply(type, reply);
      assert.ok(asIs.ok, asIs.ok ? '' : asIs.error);
      const overJson = parseReply(type, JSON.parse(JSON.stringify(reply)));
      assert.ok(overJson.ok, overJson.ok ? '' : overJson.error);
    }
  } finally {
    await session.close();
  }

  // The replies the dashboard once guessed wrong.
  const knobs = parseReply('setKnobs', replies.get('setKnobs'));
  assert.ok(knobs.ok);
  assert.equal(knobs.result.requestedKnobs.maxInstanceReuseCount, 3);
  assert.equal(knobs.result.knobs.maxInstanceConcurrentReuseCount, 1, 'in force: WASIp2 clamped to 1');
  const run = parseReply('sendRequests', replies.get('sendRequests'));
  assert.ok(run.ok);
  assert.deepEqual(run.result.statusCounts, { '200': 5 });
  const detail = parseReply('requestDetail', replies.get('requestDetail'));
  assert.ok(detail.ok && detail.result.kept, 'request 0 of the run is kept');
  assert.equal(detail.result.detail.response?.status, 200);
  const stopped = parseReply('stopScenario', replies.get('stopScenario'));
  assert.ok(stopped.ok);
  assert.equal(stopped.result.state, 'stopped');

  assert.ok(
    pushed.some((m) => m.kind === 'events') &&
      pushed.some((m) => m.kind === 'load-progress') &&
      pushed.some((m) => m.kind === 'scenario'),
  );
  for (const [i, message] of pushed.entries()) {
    const parsed = serverMessageSchema.safeParse(JSON.parse(JSON.stringify(message)));
    assert.ok(parsed.success, `pushed message ${i} (${message.kind}): ${parsed.error?.message ?? ''}`);
  }
});

test('a load that fails with a very long message still leaves a snapshot every transport accepts', {
  timeout: 60_000,
}, async () => {
  const session = new DashboardSession({ component: null, listen: { host: '127.0.0.1', port: 0 } });
  try {
    // A path of 12,000 characters: the error names it, and the problem is shown to every dashboard.
    const path = `/tmp/${'a/'.repeat(6000)}x.wasm`;
    await assert.rejects(session.execute({ type: 'load', component: path }));
    const snapshot = await session.execute({ type: 'snapshot' });
    const parsed = parseReply('snapshot', JSON.parse(JSON.stringify(snapshot)));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.match(parsed.result.problem?.message ?? '', /^could not load \/tmp\/a\/a\/.*…$/s);
  } finally {
    await session.close();
  }
});
