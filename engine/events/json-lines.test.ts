/** The `--events` writer: bounded behind a slow file, refuses a path it cannot open, stops on a failed write. */
import assert from 'node:assert/strict';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventBus } from './event-bus.ts';
import { writeEventsAsJsonLines } from './json-lines.ts';

const fileIn = (name: string): string => join(mkdtempSync(join(tmpdir(), 'poolscope-json-lines-')), name);
const gauges = { type: 'pool.gauges', liveInstances: 0, availableWorkers: 0, queueDepth: 0, inFlight: 0 } as const;

test('every event is one JSON line, in order', async () => {
  const bus = new EventBus();
  const file = fileIn('events.jsonl');
  const writer = writeEventsAsJsonLines(bus, file, { log: () => assert.fail('nothing to say') });
  for (let i = 0; i < 3; i++) bus.emit(gauges);
  await writer.close();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.deepEqual(
    lines.map((line) => (JSON.parse(line) as { seq: number }).seq),
    [0, 1, 2],
  );
});

test('past the backlog bound, events are dropped (not held), and stderr says how many', async () => {
  const bus = new EventBus();
  const file = fileIn('events.jsonl');
  const said: string[] = [];
  // A bound of 0: the first write is still on its way to the disk when the next events come.
  const writer = writeEventsAsJsonLines(bus, file, { log: (line) => said.push(line), backlogBytes: 0 });
  for (let i = 0; i < 5; i++) bus.emit(gauges);
  await writer.close();
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
  assert.equal(said.length, 2, said.join('\n'));
  assert.match(said[0]!, /^--events .+: the file is 0 B behind; events are dropped until it catches up$/);
  assert.match(said[1]!, /^--events .+: 4 events were dropped while the file was behind$/);
});

test('a path that cannot be opened throws at once, with the reason', () => {
  assert.throws(
    () => writeEventsAsJsonLines(new EventBus(), join(fileIn('x'), 'no-such-dir', 'events.jsonl')),
    /ENOENT: no such file or directory/,
  );
});

test('a write that fails stops the writing, says so once, and close still resolves', async () => {
  const bus = new EventBus();
  const said: string[] = [];
  let reported!: () => void;
  const firstReport = new Promise<void>((resolve) => (reported = resolve));
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  const writer = writeEventsAsJsonLines(bus, '/dev/full', {
    log: (line) => {
      said.push(line);
      reported();
    },
  });
  bus.emit(gauges);
  await firstReport;
  for (let i = 0; i < 10; i++) bus.emit(gauges);
  await writer.close();
  assert.deepEqual(said, [
    'error: --events /dev/full: ENOSPC: no space left on device, write; no more events are written to it',
  ]);
});

// A FIFO that nothing reads is refused: engine/test/cli.test.ts (a regression would block the
// process that opens it, and the CLI's process can be killed where this one could not).
test('a FIFO that is read gets the events', async () => {
  const fifo = fileIn('events.fifo');
  execFileSync('mkfifo', [fifo]);
  const bus = new EventBus();
  // A reader, opened without waiting for a writer.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const writer = writeEventsAsJsonLines(bus, fifo, { log: () => assert.fail('nothing to say') });
    bus.emit(gauges);
    await writer.close();
    const buffer = Buffer.alloc(4096);
    const text = buffer.subarray(0, readSync(reader, buffer)).toString('utf8');
    assert.equal((JSON.parse(text.trim()) as { type: string }).type, 'pool.gauges');
  } finally {
    closeSync(reader);
  }
});
