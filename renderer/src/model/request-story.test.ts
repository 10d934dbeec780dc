import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolEvent, RequestDetail } from '../../../protocol/index.ts';
import { buildRequestStory, type RequestStory } from './request-story.ts';
import { loadFixture, replay } from './test-support.ts';

/** The story of `requestId` after replaying a recorded stream, as the panel would build it. */
function storyOf(events: PoolEvent[], requestId: number, detail: RequestDetail | null = null): RequestStory {
  const state = replay(events);
  return buildRequestStory({
    requestId,
    requests: state.requests,
    instances: state.instances,
    outgoing: state.outgoing,
    leaks: state.leaks,
    log: state.log.events,
    detail,
    now: state.clock.maxT,
  });
}

const keys = (story: RequestStory): string[] => story.steps.map((s) => s.key);
const spanKeys = (story: RequestStory): string[] => story.spans.map((s) => s.key);

describe('request story, on recorded engine streams', () => {
  it('spawn-direct: received, dispatched, its instance starting and ready, running, head, body end, available', () => {
    const story = storyOf(loadFixture('spin-timeout.jsonl'), 0);
    assert.deepEqual(keys(story), [
      'received',
      'dispatched',
      'spawned',
      'instantiated',
      'accepted',
      'responded',
      'ended',
      'available',
    ]);
    assert.deepEqual(spanKeys(story), ['waiting', 'starting', 'running', 'body', 'after']);
    assert.equal(story.dispatchMode, 'spawn-direct');
    assert.deepEqual([story.instanceId, story.reuseIndex, story.status, story.outcome], [0, 1, 200, 'ok']);
    assert.equal(story.responseBodyBytes, 9, 'from request.completed');
    assert.deepEqual(
      story.steps.map((s) => s.t),
      [...story.steps.map((s) => s.t)].sort((a, b) => a - b),
    );
    assert.equal(story.from, story.steps[0]!.t);
    assert.equal(story.to, story.steps.at(-1)!.t, 'settled: the axis ends at its last step');
    assert.deepEqual(story.leak, { kind: 'none', why: "not checked: a fresh instance's answer has nothing to leak" });
    assert.equal(
      story.spans.every((s) => !s.open),
      true,
    );
  });

  it('queued on a reused instance: no instance start, its request #2, available right after', () => {
    const story = storyOf(loadFixture('counter-reuse3.jsonl'), 1);
    assert.deepEqual(keys(story), ['received', 'dispatched', 'accepted', 'responded', 'ended', 'available']);
    assert.equal(story.dispatchMode, 'queued');
    assert.equal(story.spans[0]!.label, 'queued');
    assert.match(story.steps.find((s) => s.key === 'accepted')!.label, /instance 0, its request #2/);
  });

  it('the last request of an instance: it exits after, and the story says why', () => {
    const events = loadFixture('counter-reuse3.jsonl');
    const story = storyOf(events, 2);
    assert.equal(story.reuseIndex, 3);
    assert.equal(keys(story).at(-1), 'exited');
    assert.match(story.steps.at(-1)!.label, /reuse count was used up/);
    assert.equal(story.spans.at(-1)!.key, 'after');
  });

  it('a watchdog timeout on a reused instance: failed, the instance killed', () => {
    const story = storyOf(loadFixture('spin-timeout.jsonl'), 1);
    assert.equal(story.outcome, 'failed');
    assert.deepEqual(story.failure, { kind: 'timeout', message: 'guest timed out' });
    assert.deepEqual(keys(story), ['received', 'dispatched', 'accepted', 'ended', 'exited']);
    assert.equal(story.steps.find((s) => s.key === 'ended')!.label, 'failed: timeout');
    assert.match(story.steps.at(-1)!.label, /watchdog/);
    assert.deepEqual(spanKeys(story), ['waiting', 'running', 'after'], 'no head, so no body span');
  });

  it('expiry (WASIp3 request timeout): expired before it failed, and its instance, available while it ran, drained and exited', () => {
    const story = storyOf(loadFixture('p3-expiry.jsonl'), 1);
    assert.deepEqual(keys(story), ['received', 'dispatched', 'accepted', 'expired', 'ended', 'exited']);
    assert.equal(story.failure?.kind, 'timeout');
  });

  it('WASIp3: an instance available while a request ran can take work as soon as it ends', () => {
    const story = storyOf(loadFixture('p3-expiry.jsonl'), 0);
    const ended = story.steps.find((s) => s.key === 'ended')!;
    const available = story.steps.find((s) => s.key === 'available')!;
    assert.equal(available.t, ended.t);
  });

  it('trap: the request failed on a fresh instance, which exited as trapped', () => {
    const story = storyOf(loadFixture('trap.jsonl'), 0);
    assert.equal(story.failure?.kind, 'trap');
    assert.deepEqual(keys(story), ['received', 'dispatched', 'spawned', 'instantiated', 'accepted', 'ended', 'exited']);
    assert.match(story.steps.at(-1)!.label, /trapped/);
  });

  it('client gone: failed when the client left, and its instance busy until the guest finished', () => {
    const story = storyOf(loadFixture('sleep-client-gone.jsonl'), 1);
    assert.equal(story.failure?.kind, 'client-gone');
    assert.deepEqual(keys(story), ['received', 'dispatched', 'accepted', 'ended', 'available']);
    const after = story.spans.find((s) => s.key === 'after')!;
    const ended = story.steps.find((s) => s.key === 'ended')!.t;
    assert.equal(after.from, ended);
    assert.ok(after.to > ended, 'the guest slept on after the client left');
  });

  it('guest output: the lines written while the request ran on its instance', () => {
    const story = storyOf(loadFixture('print-idle.jsonl'), 0);
    assert.equal(story.output.from, 'events');
    assert.deepEqual(
      story.output.lines.map((o) => `${o.stream}: ${o.line}`),
      [
        'stdout: this is half a print to stdout',
        'stdout: ',
        'stdout: after empty',
        'stderr: this is half a print to stderr',
        'stderr: ',
        'stderr: after empty',
        'stderr: start a print 1234',
      ],
    );
  });

  it('leak verdicts: a finding, a same verdict, and none yet', () => {
    const leaky = storyOf(loadFixture('counter-leaks-reuse3.jsonl'), 1);
    assert.equal(leaky.leak.kind, 'finding');
    const same = storyOf(loadFixture('hello-leak-check.jsonl'), 1);
    assert.deepEqual(same.leak, { kind: 'checked', verdict: 'same', message: null });
  });

  it('requests beside it on one instance are named (their output cannot be told apart); sequential ones are not', () => {
    // Four parallel requests, each on an instance of its own; then sequential ones on one instance.
    const parallel = loadFixture('sleep-parallel.jsonl');
    for (let id = 0; id < 4; id++) assert.deepEqual(storyOf(parallel, id).alongside, [], `request ${id}`);
    assert.deepEqual(storyOf(loadFixture('counter-reuse3.jsonl'), 1).alongside, []);
    // WASIp3: request 0's end moved after request 1 was accepted on the same instance, so they overlap.
    const events = loadFixture('p3-expiry.jsonl');
    const end0 = events.find((e) => e.type === 'request.completed' && e.requestId === 0)!;
    const at = events.findIndex((e) => e.type === 'request.accepted' && e.requestId === 1);
    const overlapped = events.filter((e) => e !== end0);
    overlapped.splice(at, 0, { ...end0, t: events[at]!.t + 1 });
    assert.deepEqual(storyOf(overlapped, 1).alongside, [0]);
    assert.deepEqual(storyOf(overlapped, 0).alongside, [1]);
  });

  it('outgoing calls the guest made for the request', () => {
    const story = storyOf(loadFixture('fetch-outgoing.jsonl'), 0);
    assert.equal(story.outgoing.length, 1);
    assert.match(story.outgoing[0]!.path, /count/);
  });

  it('a running request: open spans reach now', () => {
    const events = loadFixture('sleep-client-gone.jsonl');
    const accepted = events.find((e) => e.type === 'request.accepted' && e.requestId === 1)!;
    const story = storyOf(
      events.filter((e) => e.seq <= accepted.seq),
      1,
    );
    assert.equal(story.outcome, 'running');
    const running = story.spans.find((s) => s.key === 'running')!;
    assert.equal(running.open, true);
    assert.equal(running.to, story.to);
  });

  it("the engine's detail fills in what the events no longer show, and brings headers and sizes", () => {
    const events = loadFixture('print-idle.jsonl');
    const detail: RequestDetail = {
      requestId: 0,
      method: 'GET',
      uri: '/',
      phases: {
        receivedAt: 58,
        dispatchedAt: 59,
        dispatchMode: 'spawn-direct',
        instanceId: 0,
        reuseIndex: 1,
        spawnedAt: 59.5,
        instantiatedAt: 172,
        acceptedAt: 173,
        respondedAt: 181,
        expiredAt: null,
        endedAt: 182,
        availableAt: 182.4,
        instanceExit: null,
      },
      requestHeaders: { fields: [['x-probe', 'yes']], omitted: 0 },
      requestBodyBytes: 0,
      response: { status: 200, headers: { fields: [], omitted: 0 } },
      failure: null,
      responseBodyBytes: 0,
      output: [{ t: 180, stream: 'stderr', line: 'start a print 1234' }],
      outputOmitted: 3,
    };
    // Only the receipt reached this dashboard (say the stream was aggregated under load).
    const story = storyOf(
      events.filter((e) => e.seq === 0),
      0,
      detail,
    );
    assert.deepEqual(keys(story), [
      'received',
      'dispatched',
      'spawned',
      'instantiated',
      'accepted',
      'responded',
      'ended',
      'available',
    ]);
    assert.deepEqual(story.requestHeaders?.fields, [['x-probe', 'yes']]);
    assert.equal(story.status, 200);
    assert.equal(story.outcome, 'ok', 'the events stopped at its receipt; the engine saw it end');
    assert.deepEqual(story.output, { lines: detail.output, omitted: 3, from: 'engine' });
  });

  it('an unknown request: not known, nothing invented', () => {
    const story = storyOf(loadFixture('print-idle.jsonl'), 99);
    assert.equal(story.known, false);
    assert.deepEqual(story.steps, []);
    assert.deepEqual(story.spans, []);
  });
});
