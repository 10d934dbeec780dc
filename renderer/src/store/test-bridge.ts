/**
 * A stand-in engine for store tests: no engine runs in the renderer's tests (the renderer may
 * import only the protocol), so this keeps the commands it is sent, answers them with `reply`
 * (by default it rejects them), and pushes server messages and connection changes when a test
 * says so.
 */
import type { CommandInput, ReplyTo, ServerMessage } from '../../../protocol/index.ts';
import type { ConnectionInfo, ObservableBridge } from '../bridge/websocket-client.ts';

export interface TestBridge extends ObservableBridge {
  /** Every command sent, in order. */
  readonly sent: CommandInput[];
  /** What a command gets back: a value resolves it, a thrown error rejects it. */
  reply: <C extends CommandInput>(command: C) => ReplyTo<C>;
  push(message: ServerMessage): void;
  setConnection(info: ConnectionInfo): void;
}

export function testBridge(): TestBridge {
  const messageListeners = new Set<(message: ServerMessage) => void>();
  const connectionListeners = new Set<(info: ConnectionInfo) => void>();
  let connection: ConnectionInfo = { status: 'open', attempts: 0, error: null };
  const bridge: TestBridge = {
    sent: [],
    reply: (command) => {
      throw new Error(`the test bridge has no reply to ${command.type}`);
    },
    async send(command) {
      bridge.sent.push(command);
      return bridge.reply(command);
    },
    subscribe(listener) {
      messageListeners.add(listener);
      return () => void messageListeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connection);
      return () => void connectionListeners.delete(listener);
    },
    close() {
      messageListeners.clear();
      connectionListeners.clear();
    },
    push(message) {
      for (const listener of messageListeners) listener(message);
    },
    setConnection(info) {
      connection = info;
      for (const listener of connectionListeners) listener(info);
    },
  };
  return bridge;
}
