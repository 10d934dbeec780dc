/** The connection slice: the engine link's state, and `command`, the one way commands reach the engine. */
import type { StoreApi } from 'zustand';
import type { ObservableBridge } from '../bridge/websocket-client.ts';
import { errorMessage } from '../model/error-message.ts';
import { REPLAY_REFUSAL, refusedWhileReplaying } from './replay-mode.ts';
import type { ConnectionSlice, Slice, Store } from './shape.ts';

/**
 * A command while the link to the engine is down fails at once: queued for the reconnect, a knob
 * edit would sit on `…` until then, and would reach whatever engine answers next.
 */
export const DISCONNECTED_REFUSAL =
  'Not connected to the engine (reconnecting…): nothing was sent. Try again once it is back.';
/** The same when the link is closed for good (no reconnect is coming). */
export const CLOSED_REFUSAL = 'Not connected to an engine: nothing was sent. Reload the page to connect again.';

export const createConnectionSlice =
  (bridge: ObservableBridge | null): Slice<ConnectionSlice> =>
  (set, get) => ({
    connection: { status: 'connecting', attempts: 0, error: null },
    async command(command, notify = true) {
      if (refusedWhileReplaying(get(), command)) {
        set((s) => ({ ui: { ...s.ui, notice: REPLAY_REFUSAL } }));
        return { ok: false, error: REPLAY_REFUSAL };
      }
      if (!bridge) return { ok: false, error: 'not connected to an engine' };
      const status = get().connection.status;
      if (status !== 'open') {
        const refusal = status === 'closed' ? CLOSED_REFUSAL : DISCONNECTED_REFUSAL;
        if (notify) set((s) => ({ ui: { ...s.ui, notice: refusal } }));
        return { ok: false, error: refusal };
      }
      try {
        return { ok: true, result: await bridge.send(command) };
      } catch (error) {
        const message = errorMessage(error);
        if (notify) set((s) => ({ ui: { ...s.ui, notice: message } }));
        return { ok: false, error: message };
      }
    },
    retryConnection() {
      bridge?.retryNow?.();
    },
  });

/**
 * Feeds the bridge's messages and connection changes into a made store (not from its slice: a
 * bridge may report its state at once, before the store exists). Returns the unsubscribe.
 */
export function listenTo(bridge: ObservableBridge, store: StoreApi<Store>): () => void {
  const offMessages = bridge.subscribe((message) => store.getState().receive(message));
  const offConnection = bridge.onConnection((connection) => store.setState({ connection }));
  return () => {
    offMessages();
    offConnection();
  };
}
