/**
 * The IPC layer between the dashboard page and the engine: the sender check, message validation,
 * the main-side bridge (ipc-bridge.ts) and the bundled preload — with a real DashboardSession.
 *
 * Electron's binary cannot exist here, so ipcMain, WebContents, WebFrameMain, ipcRenderer and
 * contextBridge are FAKES: plain objects with the few members the code reads. They copy every
 * payload with structuredClone, as Electron's IPC serializes it, so a message that could not
 * cross a real process boundary fails here too. The preload runs from its bundle
 * (electron/build/preload.cjs) in a vm context with a fake `require('electron')`.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { DashboardSession } from '../engine/bridge/dashboard-session.ts';
import type { BridgeClient, CommandResult, ServerMessage, Snapshot } from '../protocol/bridge.ts';
import { buildPreload } from './build.ts';
import { connectIpcBridge, type BridgeEvent, type IpcBridge, type PushTarget } from './ipc-bridge.ts';
import { IPC } from './ipc-channels.ts';
import {
  parseCommand,
  parseDroppedPath,
  untrustedSenderReason,
  type FrameLike,
  type TrustedPage,
} from './ipc-validation.ts';
import { waitUntil } from '../engine/test/support/wait-until.ts';

const PAGE_URL = pathToFileURL('/opt/Poolscope/resources/app.asar/renderer/dist/index.html').href;

// ---- fakes ----

function frame(overrides: Partial<FrameLike> = {}): FrameLike {
  return { url: PAGE_URL, processId: 4, routingId: 1, parent: null, ...overrides };
}

/** A WebContents as the bridge sees it: an id, lifetime events, and `send` (structured-cloned). */
class FakeWebContents extends EventEmitter implements PushTarget {
  readonly id: number;
  destroyed = false;
  readonly batches: ServerMessage[][] = [];
  constructor(id: number) {
    super();
    this.id = id;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    assert.equal(channel, IPC.messages);
    this.batches.push(structuredClone(args[0]) as ServerMessage[]);
  }
  get messages(): ServerMessage[] {
    return this.batches.flat();
  }
}

/** ipcMain: records handlers and listeners; `invoke`/`emit` call them like Electron would. */
class FakeIpcMain {
  readonly handlers = new Map<string, (event: BridgeEvent, ...args: unknown[]) => unknown>();
  readonly listeners = new Map<string, Array<(event: BridgeEvent, ...args: unknown[]) => void>>();
  handle(channel: string, handler: (event: BridgeEvent, ...args: unknown[]) => unknown): void {
    assert.equal(this.handlers.has(channel), false, `one handler per channel (${channel})`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: (event: BridgeEvent, ...args: unknown[]) => void): this {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    return this;
  }
  removeListener(channel: string, listener: (event: BridgeEvent, ...args: unknown[]) => void): this {
    this.listeners.set(
      channel,
      (this.listeners.get(channel) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  async invoke(event: BridgeEvent, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return structuredClone(await handler(event, ...structuredClone(args)));
  }
  emit(event: BridgeEvent, channel: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(event, ...structuredClone(args));
  }
}

// ---- the sender check and message validation ----

describe('sender check (fake events and frames)', () => {
  const mainFrame = frame();
  const page: TrustedPage = { webContentsId: 7, mainFrame, pageUrl: PAGE_URL };
  const from = (senderId: number, senderFrame: FrameLike | null) => ({ sender: { id: senderId }, senderFrame });

  it('accepts our window main frame showing our page (query and hash aside)', () => {
    assert.equal(untrustedSenderReason(from(7, frame()), page), null);
    assert.equal(untrustedSenderReason(from(7, frame({ url: `${PAGE_URL}?x=1#knobs` })), page), null);
  });

  it('refuses everything else', () => {
    const cases: Array<[string, ReturnType<typeof from>, TrustedPage | null, RegExp]> = [
      ['no window', from(7, frame()), null, /no dashboard window/],
      ['another WebContents', from(8, frame()), page, /another WebContents/],
      ['a frame that is gone', from(7, null), page, /frame is gone/],
      ['a subframe', from(7, frame({ parent: mainFrame, routingId: 2 })), page, /subframe/],
      ['a different frame (same URL)', from(7, frame({ routingId: 9 })), page, /other than the main frame/],
      ['a different renderer process', from(7, frame({ processId: 5 })), page, /other than the main frame/],
      [
        'another local file (file:// pages share one origin)',
        from(7, frame({ url: 'file:///tmp/evil.html' })),
        page,
        /unexpected page/,
      ],
      [
        'a look-alike path',
        from(7, frame({ url: PAGE_URL.replace('index.html', 'index.html.evil') })),
        page,
        /unexpected page/,
      ],
      ['a web page', from(7, frame({ url: 'https://example.com/renderer/dist/index.html' })), page, /unexpected page/],
      ['about:blank', from(7, frame({ url: 'about:blank' })), page, /unexpected page/],
    ];
    for (const [what, event, trusted, reason] of cases)
      assert.match(untrustedSenderReason(event, trusted) ?? 'accepted', reason, what);
  });
});

describe('message validation', () => {
  it('accepts the engine commands, with defaults applied', () => {
    assert.deepEqual(parseCommand({ type: 'snapshot' }), { ok: true, value: { type: 'snapshot' } });
    assert.deepEqual(parseCommand({ type: 'sendRequests', count: 3, concurrency: 1, path: '/' }), {
      ok: true,
      value: { type: 'sendRequests', count: 3, concurrency: 1, path: '/', method: 'GET' },
    });
    assert.equal(parseCommand({ type: 'setKnobs', patch: { maxInstanceReuseCount: 5 } }).ok, true);
  });

  it('refuses anything else, saying why', () => {
    const refused: Array<[unknown, RegExp]> = [
      [null, /invalid command/],
      ['snapshot', /invalid command/],
      [{ type: 'exec', cmd: 'rm -rf /' }, /invalid command/],
      [{ type: 'snapshot', extra: true }, /invalid command/],
      [{ type: 'load', component: '' }, /component must be a path/],
      [{ type: 'load', component: 'x'.repeat(5000) }, /too long/],
      [{ type: 'sendRequests', count: 0, concurrency: 1, path: '/' }, /count must be at least 1/],
      [{ type: 'sendRequests', count: 1, concurrency: 1, path: 'http://x/' }, /path must start with \//],
      [{ type: 'sendRequests', count: 1, concurrency: 1, path: '//127.0.0.1:9/x' }, /path must start with a single \//],
      [
        { type: 'sendRequests', count: 1, concurrency: 1, path: '/\\127.0.0.1:9/x' },
        /path must start with a single \//,
      ],
      [
        { type: 'sendRequests', count: 1, concurrency: 1, path: '/\t/127.0.0.1:9/x' },
        /path must not contain spaces or control characters/,
      ],
      [{ type: 'setKnobs', patch: { maxInstanceReuseCount: 0 } }, /invalid command/],
    ];
    for (const [raw, error] of refused) {
      const parsed = parseCommand(raw);
      assert.equal(parsed.ok, false, JSON.stringify(raw)?.slice(0, 60));
      if (!parsed.ok) assert.match(parsed.error, error);
    }
  });

  it('takes only absolute .wasm paths as dropped files', () => {
    assert.deepEqual(parseDroppedPath('/home/me/guest.wasm', 'linux'), { ok: true, value: '/home/me/guest.wasm' });
    assert.deepEqual(parseDroppedPath('/home/me/GUEST.WASM', 'darwin'), { ok: true, value: '/home/me/GUEST.WASM' });
    assert.deepEqual(parseDroppedPath('C:\\Users\\me\\guest.wasm', 'win32'), {
      ok: true,
      value: 'C:\\Users\\me\\guest.wasm',
    });
    for (const [raw, platform] of [
      ['guest.wasm', 'linux'],
      ['../guest.wasm', 'linux'],
      ['/etc/passwd', 'linux'],
      ['/tmp/a.wasm\0.txt', 'linux'],
      [`/${'a'.repeat(5000)}.wasm`, 'linux'],
      ['', 'linux'],
      ['C:guest.wasm', 'win32'],
      ['/tmp/guest.wasm', 'win32'],
    ] as const) {
      assert.equal(parseDroppedPath(raw, platform).ok, false, `${raw.slice(0, 40)} on ${platform}`);
    }
    assert.equal(parseDroppedPath(42).ok, false);
    assert.equal(parseDroppedPath({ path: '/a.wasm' }).ok, false);
  });
});

// ---- the bridge, with a real engine session ----

describe('the IPC bridge (fake ipcMain and WebContents, real DashboardSession)', () => {
  let session: DashboardSession;
  let ipcMain: FakeIpcMain;
  let bridge: IpcBridge;
  let contents: FakeWebContents;
  let mainFrame: FrameLike;
  const dropped: string[] = [];
  const warnings: string[] = [];
  const pending: Array<() => void> = [];
  const flush = (): void => {
    while (pending.length) pending.shift()!();
  };
  const trusted = (): BridgeEvent => ({ sender: contents, senderFrame: mainFrame });
  const stranger = (): BridgeEvent => ({ sender: contents, senderFrame: frame({ url: 'file:///tmp/evil.html' }) });

  before(() => {
    session = new DashboardSession({
      component: null,
      knobs: { maxInstanceReuseCount: 128, idleInstanceTimeoutMs: 60_000 },
      listen: { host: '127.0.0.1', port: 0 },
    });
    ipcMain = new FakeIpcMain();
    contents = new FakeWebContents(7);
    mainFrame = frame();
    bridge = connectIpcBridge({
      ipcMain,
      session,
      trustedPage: () => ({ webContentsId: 7, mainFrame, pageUrl: PAGE_URL }),
      openDropped: (path) => dropped.push(path),
      warn: (line) => warnings.push(line),
      schedule: (fn) => pending.push(fn),
    });
  });
  after(async () => {
    bridge.dispose();
    await session.close();
  });

  it('answers a command with one reply', async () => {
    const reply = (await ipcMain.invoke(trusted(), IPC.command, { type: 'snapshot' })) as CommandResult;
    assert.equal(reply.ok, true);
    assert.equal((reply as { result: Snapshot }).result.serving, false);
    assert.ok((reply as { result: Snapshot }).result.demos.some((d) => d.name === 'demo:counter'));
  });

  it("answers a bad command with the engine's message, and an engine error with its message", async () => {
    assert.match(
      ((await ipcMain.invoke(trusted(), IPC.command, { type: 'nope' })) as { error: string }).error,
      /^invalid command: /,
    );
    assert.match(((await ipcMain.invoke(trusted(), IPC.command)) as { error: string }).error, /exactly one command/);
    assert.deepEqual(await ipcMain.invoke(trusted(), IPC.command, { type: 'start' }), {
      ok: false,
      error: 'no component loaded: load a .wasm file or a demo first',
    });
  });

  it('ignores commands, attaches and drops from anyone but our page', async () => {
    await assert.rejects(
      ipcMain.invoke(stranger(), IPC.command, { type: 'snapshot' }),
      /refused: message from an unexpected page/,
    );
    await assert.rejects(
      ipcMain.invoke({ sender: new FakeWebContents(99), senderFrame: frame() }, IPC.command, { type: 'stop' }),
      /another WebContents/,
    );
    ipcMain.emit(stranger(), IPC.attach);
    ipcMain.emit(stranger(), IPC.openDropped, '/tmp/guest.wasm');
    assert.equal(bridge.attachedCount, 0);
    assert.deepEqual(dropped, []);
    assert.ok(warnings.some((w) => w.includes('ignored IPC message on poolscope:attach')));
  });

  it('pushes a snapshot on attach, then everything the engine says, batched per turn', async () => {
    ipcMain.emit(trusted(), IPC.attach, 'unexpected argument');
    assert.equal(bridge.attachedCount, 0, 'attach takes no arguments');
    ipcMain.emit(trusted(), IPC.attach);
    assert.equal(bridge.attachedCount, 1);
    assert.equal(contents.batches.length, 0, 'nothing sent before the turn ends');
    flush();
    assert.deepEqual(
      contents.batches.map((b) => b.map((m) => m.kind)),
      [['snapshot']],
    );

    // Load the counter demo through the bridge and send it three requests: one instance, reused.
    const loaded = (await ipcMain.invoke(trusted(), IPC.command, { type: 'load', component: 'demo:counter' })) as {
      ok: true;
      result: Snapshot;
    };
    assert.equal(loaded.ok, true, JSON.stringify(loaded));
    const url = loaded.result.listenUrl!;
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push((await (await fetch(url)).text()).trim());
    assert.deepEqual(bodies, ['count=1', 'count=2', 'count=3']);
    await waitUntil('a request.completed event', () => {
      flush();
      return contents.messages.some((m) => m.kind === 'events' && m.events.some((e) => e.type === 'request.completed'));
    });
    const snapshots = contents.messages.filter(
      (m): m is Extract<ServerMessage, { kind: 'snapshot' }> => m.kind === 'snapshot',
    );
    assert.equal(snapshots.at(-1)?.snapshot.component?.spec, 'demo:counter');
    const reply = (await ipcMain.invoke(trusted(), IPC.command, { type: 'snapshot' })) as { result: Snapshot };
    assert.equal(reply.result.instances.length, 1);
    assert.equal(reply.result.instances[0]!.reuseCount, 3);
  });

  it('stops pushing when the page navigates, reloads or goes away, or closes its bridge', () => {
    contents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false });
    assert.equal(bridge.attachedCount, 1, 'a subframe navigation changes nothing');
    contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    assert.equal(bridge.attachedCount, 0);
    ipcMain.emit(trusted(), IPC.attach);
    contents.emit('destroyed');
    assert.equal(bridge.attachedCount, 0);
    ipcMain.emit(trusted(), IPC.attach);
    ipcMain.emit(trusted(), IPC.detach);
    assert.equal(bridge.attachedCount, 0);
    const before = contents.batches.length;
    contents.destroyed = true;
    ipcMain.emit(trusted(), IPC.attach); // attached, but its WebContents is destroyed: nothing is sent
    flush();
    assert.equal(contents.batches.length, before);
    contents.destroyed = false;
    ipcMain.emit(trusted(), IPC.detach);
  });

  it('passes on dropped .wasm paths, and only those', () => {
    ipcMain.emit(trusted(), IPC.openDropped, '/tmp/notes.txt');
    ipcMain.emit(trusted(), IPC.openDropped, 'relative/guest.wasm');
    ipcMain.emit(trusted(), IPC.openDropped, { path: '/tmp/guest.wasm' });
    ipcMain.emit(trusted(), IPC.openDropped, '/tmp/guest.wasm');
    assert.deepEqual(dropped, ['/tmp/guest.wasm']);
  });

  it('removes every handler on dispose', () => {
    const fake = new FakeIpcMain();
    connectIpcBridge({ ipcMain: fake, session, trustedPage: () => null, openDropped: () => {} }).dispose();
    assert.equal(fake.handlers.size, 0);
    assert.equal([...fake.listeners.values()].flat().length, 0);
  });
});

// ---- the preload, from its bundle, against the bridge ----

describe('the preload (bundled; fake ipcRenderer and contextBridge)', () => {
  const exposed: Record<string, unknown> = {};
  const windowListeners = new Map<string, (event: unknown) => void>();
  const toMain: Array<[string, unknown[]]> = [];
  let onMessages: ((event: unknown, ...args: unknown[]) => void) | null = null;
  let invokeHandler: (channel: string, args: unknown[]) => Promise<unknown> = () =>
    Promise.reject(new Error('not wired'));

  before(async () => {
    const code = readFileSync(await buildPreload(), 'utf8');
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: unknown) => {
          exposed[key] = api;
        },
      },
      ipcRenderer: {
        invoke: (channel: string, ...args: unknown[]) => invokeHandler(channel, structuredClone(args)),
        send: (channel: string, ...args: unknown[]) => void toMain.push([channel, structuredClone(args)]),
        on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => {
          assert.equal(channel, IPC.messages);
          onMessages = listener;
        },
      },
      webUtils: { getPathForFile: (file: { path: string }) => file.path },
    };
    const sandboxRequire = (name: string): unknown => {
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    };
    const context = vm.createContext({
      require: sandboxRequire,
      window: {
        addEventListener: (type: string, listener: (event: unknown) => void, capture: boolean) => {
          assert.equal(capture, true, `${type} listener in the capture phase`);
          windowListeners.set(type, listener);
        },
      },
      console,
    });
    vm.runInContext(code, context, { filename: 'preload.cjs' });
  });

  it('exposes window.poolscope and nothing else: send, subscribe, close', () => {
    assert.deepEqual(Object.keys(exposed), ['poolscope']);
    assert.deepEqual(Object.keys(exposed.poolscope as object).sort(), ['close', 'send', 'subscribe']);
  });

  it('round-trips commands through the bridge to the engine; errors reject with the engine message', async () => {
    const session = new DashboardSession({ component: null, listen: { host: '127.0.0.1', port: 0 } });
    const ipcMain = new FakeIpcMain();
    const contents = new FakeWebContents(3);
    const mainFrame = frame();
    const bridge = connectIpcBridge({
      ipcMain,
      session,
      trustedPage: () => ({ webContentsId: 3, mainFrame, pageUrl: PAGE_URL }),
      openDropped: () => {},
    });
    invokeHandler = (channel, args) => ipcMain.invoke({ sender: contents, senderFrame: mainFrame }, channel, ...args);
    try {
      const api = exposed.poolscope as BridgeClient;
      const snapshot = (await api.send({ type: 'snapshot' })) as Snapshot;
      assert.equal(snapshot.serving, false);
      await assert.rejects(api.send({ type: 'start' }), {
        message: 'no component loaded: load a .wasm file or a demo first',
      });
      await assert.rejects(api.send({ type: 'bogus' } as never), /invalid command/);
    } finally {
      bridge.dispose();
      await session.close();
    }
  });

  it('attaches on the first subscribe, delivers pushed batches in order, detaches on close', () => {
    const api = exposed.poolscope as BridgeClient;
    const seen: string[] = [];
    const unsubscribe = api.subscribe((m) => seen.push(`a:${m.kind}`));
    api.subscribe((m) => seen.push(`b:${m.kind}`));
    assert.deepEqual(toMain, [[IPC.attach, []]]);
    onMessages!({ sender: 'an IpcRendererEvent the page never sees' }, [{ kind: 'snapshot' }, { kind: 'events' }]);
    unsubscribe();
    onMessages!({}, [{ kind: 'load-progress' }]);
    onMessages!({}, 'not a batch');
    assert.deepEqual(seen, ['a:snapshot', 'b:snapshot', 'a:events', 'b:events', 'b:load-progress']);
    api.close();
    assert.deepEqual(toMain.at(-1), [IPC.detach, []]);
    toMain.length = 0;
  });

  it('takes a dropped .wasm itself (never letting the window navigate to it)', () => {
    const drop = (types: string[], paths: string[]) => {
      let prevented = false;
      windowListeners.get('drop')!({
        dataTransfer: { types, files: paths.map((path) => ({ path })) },
        preventDefault: () => void (prevented = true),
      });
      return prevented;
    };
    assert.equal(drop(['text/plain'], []), false, 'dragged text is left to the page');
    assert.equal(drop(['Files'], ['/tmp/readme.md']), true, 'a dropped file never navigates the window');
    assert.deepEqual(toMain, []);
    assert.equal(drop(['Files'], ['/tmp/readme.md', '/tmp/guest.wasm']), true);
    assert.deepEqual(toMain, [[IPC.openDropped, ['/tmp/guest.wasm']]]);
    let prevented = false;
    windowListeners.get('dragover')!({
      dataTransfer: { types: ['Files'], dropEffect: 'none' },
      preventDefault: () => void (prevented = true),
    });
    assert.equal(prevented, true, 'dragover is accepted so that drop fires');
  });
});
