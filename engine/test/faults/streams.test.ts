/**
 * Fault injection, response streams: a guest that writes forever to a client that stops reading
 * or leaves (WASIp2 `endless` and WASIp3 `p3-endless`), a guest that traps after its head went out, and many clients leaving at once.
 * Each test ends by checking the server still answers a plain request.
 *
 * Bounds (see thread/response-flow.ts): a guest may be `RESPONSE_WINDOW_BYTES` (1 MiB) ahead of
 * what the client's socket took; between the socket and the client's reads sit the kernel's
 * socket buffers, whose ceilings we read from /proc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { PoolEvent } from '../../../protocol/index.ts';
import { RESPONSE_WINDOW_BYTES } from '../../thread/response-flow.ts';
import { send } from '../support/http-client.ts';
import { serveForTest, type TestServer } from '../support/serve.ts';

const MiB = 1024 * 1024;
/** What the server process may grow by while guests stream to stalled or departed clients. */
const RSS_GROWTH_BOUND = 64 * MiB;

/** Largest send + receive buffers the kernel may give one loopback connection (autotuning included). */
function kernelSocketBufferBytes(): number {
  const max = (file: string): number => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
    } catch {
      return 16 * MiB;
    }
  };
  return max('/proc/sys/net/ipv4/tcp_wmem') + max('/proc/sys/net/ipv4/tcp_rmem');
}

/** How far ahead of the client's reads the guest may ever be: window, socket buffers, Node's
 * writable buffer (16 KiB) and one guest write (64 KiB) over the window. */
const AHEAD_BOUND = RESPONSE_WINDOW_BYTES + kernelSocketBufferBytes() + 16 * 1024 + 64 * 1024;

/** A client that reads its response only when told to. */
class ControlledClient {
  readonly request: ClientRequest;
  readonly head: Promise<IncomingMessage>;
  read = 0;
  #target = 0;
  #reached: (() => void) | null = null;

  constructor(url: string) {
    this.request = request(url, { agent: false });
    this.request.on('error', () => {}); // we destroy it ourselves
    this.request.end();
    this.head = new Promise((resolve, reject) => {
      this.request.once('response', (res) => {
        // Nothing is read until `readUntil`: the socket's buffers fill, then TCP holds the server back.
        res.pause();
        res.on('data', (chunk: Buffer) => {
          this.read += chunk.length;
          if (this.read >= this.#target) {
            res.pause();
            this.#reached?.();
            this.#reached = null;
          }
        });
        res.on('error', () => {});
        resolve(res);
      });
      this.request.once('error', reject);
    });
  }

  /** Reads until at least `total` bytes have been read in all, then stops reading again. */
  async readUntil(total: number): Promise<void> {
    const res = await this.head;
    if (this.read >= total) return;
    this.#target = total;
    await new Promise<void>((resolve) => {
      this.#reached = resolve;
      res.resume();
    });
  }

  leave(): void {
    this.request.destroy();
  }
}

/** The most the endless guest has reported writing so far (`endless: N MiB written`), in bytes. */
function reportedBytes(server: TestServer, instanceId: number): number {
  let mib = 0;
  for (const event of server.events) {
    if (event.type !== 'guest.output' || event.instanceId !== instanceId) continue;
    const match = /^endless: (\d+) MiB written$/.exec(event.line);
    if (match) mib = Math.max(mib, Number(match[1]));
  }
  return mib * MiB;
}

function reported(instanceId: number, atLeastMiB: number): (event: PoolEvent) => boolean {
  return (event) => {
    if (event.type !== 'guest.output' || event.instanceId !== instanceId) return false;
    const match = /^endless: (\d+) MiB written$/.exec(event.line);
    return match !== null && Number(match[1]) >= atLeastMiB;
  };
}

/** The request id and instance of the request whose URI is `uri`, once it is on an instance. */
async function acceptedAs(server: TestServer, uri: string): Promise<{ requestId: number; instanceId: number }> {
  const received = await server.waitFor((event) => event.type === 'request.received' && event.uri === uri);
  const requestId = (received as Extract<PoolEvent, { type: 'request.received' }>).requestId;
  const accepted = await server.waitFor((event) => event.type === 'request.accepted' && event.requestId === requestId);
  return { requestId, instanceId: (accepted as Extract<PoolEvent, { type: 'request.accepted' }>).instanceId };
}

/** How the request ended: `request.completed` or `request.failed`. */
function outcomeOf(server: TestServer, requestId: number): Promise<PoolEvent> {
  return server.waitFor(
    (event) => (event.type === 'request.completed' || event.type === 'request.failed') && event.requestId === requestId,
  );
}

async function assertPlainRequestServed(server: TestServer): Promise<void> {
  const plain = await send(server.url('/?kib=64'));
  assert.equal(plain.status, 200);
  assert.equal(plain.body.length, 64 * 1024);
}

/**
 * A client that reads nothing while five plain requests are served beside it, then leaves. The
 * guest may not get more than AHEAD_BOUND ahead, the server's memory may not grow with what the
 * guest would like to write, and the request must end as `client-gone`; `guestStopped` then waits
 * for the guest's side of the story (its instance exits, or it prints that it stopped).
 */
async function stallThenLeave(
  guest: string,
  guestStopped: (server: TestServer, instanceId: number) => Promise<void>,
): Promise<void> {
  const server = await serveForTest(guest);
  try {
    const client = new ControlledClient(server.url('/stalled'));
    const { requestId, instanceId } = await acceptedAs(server, '/stalled');
    await client.head;
    await server.waitFor(reported(instanceId, 1));
    // The stream is under way and a second instance serves plain requests: from here on memory
    // may not grow with what the guest would like to write (threads and code are already there).
    await assertPlainRequestServed(server);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    // While the client reads nothing, the guest never reports more than its bound (an unpaced
    // guest would, within moments). Checked again after the loop, so a late overrun fails too.
    let overran = false;
    void server.waitFor(reported(instanceId, Math.floor(AHEAD_BOUND / MiB) + 1)).then(() => (overran = true));
    for (let i = 0; i < 5 && !overran; i++) {
      await assertPlainRequestServed(server);
      sample();
    }
    assert.equal(overran, false, `the guest wrote more than ${AHEAD_BOUND} bytes for a client that read none`);

    client.leave();
    const outcome = await outcomeOf(server, requestId);
    assert.equal(outcome.type, 'request.failed', `recorded as ${JSON.stringify(outcome)}`);
    assert.equal(outcome.type === 'request.failed' && outcome.kind, 'client-gone');
    await guestStopped(server, instanceId);

    await assertPlainRequestServed(server);
    sample();
    assert.ok(!server.events.some((event) => event.type === 'request.completed' && event.requestId === requestId));
    assert.ok(
      peak - baseline < RSS_GROWTH_BOUND,
      `RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`,
    );
    console.log(
      `${guest}, stalled client: RSS growth ${((peak - baseline) / MiB).toFixed(1)} MiB; guest ahead ${reportedBytes(server, instanceId) / MiB} MiB (bound ${(AHEAD_BOUND / MiB).toFixed(1)} MiB)`,
    );
  } finally {
    await server.close();
  }
}

/** A client that reads 8 MiB a MiB at a time: the guest is never further ahead than the bound. */
async function readSlowly(guest: string): Promise<void> {
  const server = await serveForTest(guest);
  try {
    const client = new ControlledClient(server.url('/slow'));
    const { requestId, instanceId } = await acceptedAs(server, '/slow');
    let maxAhead = 0;
    for (let step = 1; step <= 8; step++) {
      await client.readUntil(step * MiB);
      // The guest's reports lag its writes; wait until it has reported what the client has read.
      await server.waitFor(reported(instanceId, Math.floor(client.read / MiB)));
      const ahead = reportedBytes(server, instanceId) - client.read;
      maxAhead = Math.max(maxAhead, ahead);
      assert.ok(
        ahead <= AHEAD_BOUND,
        `step ${step}: guest ${ahead} bytes ahead of a client that read ${client.read} (bound ${AHEAD_BOUND})`,
      );
    }
    client.leave();
    const outcome = await outcomeOf(server, requestId);
    assert.equal(outcome.type === 'request.failed' && outcome.kind, 'client-gone');
    await assertPlainRequestServed(server);
    console.log(
      `${guest}, slow client: guest at most ${(maxAhead / MiB).toFixed(1)} MiB ahead (bound ${(AHEAD_BOUND / MiB).toFixed(1)} MiB)`,
    );
  } finally {
    await server.close();
  }
}

test('endless body, client stalls then leaves: the guest waits, memory stays bounded, the request is client-gone', async () => {
  await stallThenLeave('demo:endless', async (server, instanceId) => {
    // The guest saw its stream closed and returned: its instance ends cleanly (reuse 1), not killed.
    const exit = await server.waitFor((event) => event.type === 'worker.exit' && event.instanceId === instanceId);
    assert.equal(exit.type === 'worker.exit' && exit.cause, 'drained');
  });
});

test('endless body read slowly: the guest never gets further ahead of the client than the window and the socket buffers', async () => {
  await readSlowly('demo:endless');
});

/** The p3 endless guest's last line: it saw its body stream's reader dropped and stopped writing. */
function stoppedForGoneClient(instanceId: number): (event: PoolEvent) => boolean {
  return (event) =>
    event.type === 'guest.output' &&
    event.instanceId === instanceId &&
    /^endless: stopped, the client went away after \d+ bytes$/.test(event.line);
}

// WASIp3: the guest writes its body to a `stream<u8>`; the host reads a chunk of it only when the
// response window has room (p3-http.ts `streamBody`), so the guest's awaited writes are paced.

test('p3 endless body, client stalls then leaves: the guest waits, memory stays bounded, the request is client-gone', async () => {
  // The guest's pending write reports the reader gone: it stops writing and its task ends.
  await stallThenLeave(
    'demo:p3-endless',
    async (server, instanceId) => void (await server.waitFor(stoppedForGoneClient(instanceId))),
  );
});

test('p3 endless body read slowly: the guest never gets further ahead of the client than the window and the socket buffers', async () => {
  await readSlowly('demo:p3-endless');
});

/** One request on a raw connection (`Connection: close`): every byte the server sent until it closed. */
function rawRequest(server: TestServer, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.frontDoor.address.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

test('trap after the head: the client sees a truncated response, the failure says what happened', async () => {
  const server = await serveForTest('demo:trap-after-head');
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const raw = await rawRequest(server, '/');
      assert.match(raw, /^HTTP\/1\.1 200 /);
      const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      // Chunked: the guest's one chunk arrives, the final zero-length chunk never does.
      assert.equal(body, 'd\r\npartial body\n\r\n', 'the bytes the guest flushed, and nothing that ends the body');
    }
    const failures = server.events.filter((event) => event.type === 'request.failed');
    assert.equal(failures.length, 2);
    for (const failure of failures) {
      assert.ok(failure.type === 'request.failed' && failure.kind === 'trap');
      assert.match(failure.message, /^guest trapped after sending the response head: .*unreachable/);
      assert.doesNotMatch(failure.message, /never invoked/);
    }
    // Every request on this guest traps; the server is alive if a new instance answers again.
    assert.match(await rawRequest(server, '/again'), /^HTTP\/1\.1 200 /);
  } finally {
    await server.close();
  }
});

test('20 clients leave at once: none is recorded as completed, every instance is freed', async () => {
  const server = await serveForTest('demo:endless');
  try {
    // 32 MiB each: more than the window and the socket buffers hold, so no guest can finish
    // while its client reads nothing.
    const uris = Array.from({ length: 20 }, (_, i) => `/?kib=32768&client=${i}`);
    const clients = uris.map((uri) => new ControlledClient(server.url(uri)));
    const accepted = await Promise.all(uris.map((uri) => acceptedAs(server, uri)));
    await Promise.all(clients.map((client) => client.head));
    await Promise.all(accepted.map(({ instanceId }) => server.waitFor(reported(instanceId, 1))));
    // Twenty instances are streaming to clients that read nothing. From here on memory may not
    // grow with the bytes they would like to write (their threads already exist).
    await assertPlainRequestServed(server);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    for (let i = 0; i < 10; i++) {
      await assertPlainRequestServed(server);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    for (const client of clients) client.leave();

    const outcomes = await Promise.all(accepted.map(({ requestId }) => outcomeOf(server, requestId)));
    const completed = outcomes.filter((event) => event.type === 'request.completed');
    assert.equal(completed.length, 0, `${completed.length} of 20 recorded as completed`);
    for (const outcome of outcomes) assert.equal(outcome.type === 'request.failed' && outcome.kind, 'client-gone');
    await Promise.all(
      accepted.map(({ instanceId }) =>
        server.waitFor((event) => event.type === 'worker.exit' && event.instanceId === instanceId),
      ),
    );
    await assertPlainRequestServed(server);
    assert.ok(
      peak - baseline < RSS_GROWTH_BOUND,
      `RSS grew by ${((peak - baseline) / MiB).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`,
    );
    console.log(`20 stalled clients: RSS growth ${((peak - baseline) / MiB).toFixed(1)} MiB while they stalled`);
  } finally {
    await server.close();
  }
});
