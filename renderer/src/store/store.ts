/**
 * The dashboard's one store: the app's bridge (the Electron preload's IPC, else a WebSocket to the
 * page's origin), a recorder of the live session, and recordings replayed by `Replayer`. Views
 * read it through `useStore`; tests make their own with `createPoolscopeStore`.
 */
import { createBridge, type ObservableBridge } from '../bridge/index.ts';
import { errorMessage } from '../model/error-message.ts';
import { Recorder } from '../recording/recorder.ts';
import { Replayer } from '../recording/replay.ts';
import { createPoolscopeStore } from './create-store.ts';

function appBridge(): { bridge: ObservableBridge | null; error: string | null } {
  try {
    return { bridge: createBridge(), error: null };
  } catch (error) {
    return { bridge: null, error: errorMessage(error) };
  }
}

const { bridge, error } = appBridge();

export const useStore = createPoolscopeStore({
  bridge,
  recorder: new Recorder(),
  openReplayer: (recording) => new Replayer(recording),
});

if (error !== null) {
  useStore.setState({ connection: { status: 'closed', attempts: 0, error } });
  useStore.getState().setUi({ notice: error });
}
