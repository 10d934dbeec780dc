/**
 * What the store holds and offers, slice by slice, and what a store is made with. Only types: the
 * slices (one per file) and the views import them from here, so no slice imports another.
 */
import type { StateCreator } from 'zustand';
import type {
  CommandInput,
  CommandReplies,
  CommandResult,
  LeakDetectionPatch,
  PoolKnobsPatch,
  ReplyTo,
  ServerMessage,
  Snapshot,
} from '../../../protocol/index.ts';
import type { ConnectionInfo, ObservableBridge } from '../bridge/websocket-client.ts';
import type { RunProfile } from '../compare/profile.ts';
import type { InstanceSort } from '../model/instance-table.ts';
import type { LogFilter } from '../model/log.ts';
import type { DataState } from '../model/types.ts';
import type { Recording, RecordingSource } from '../recording/format.ts';
import type { Recorder, RecorderStatus } from '../recording/recorder.ts';
import type { Replayer } from '../recording/replay.ts';
import type { TimeView } from '../time/time-view.ts';

/** What `createPoolscopeStore` is made with: the app passes the real ones, a test its own. */
export interface StoreDeps {
  /** The engine; null when there is none to talk to (commands then fail). */
  bridge: ObservableBridge | null;
  /** Keeps the live session as it arrives, for export. */
  recorder: Recorder;
  /** Opens a recording to replay. */
  openReplayer(recording: Recording): Replayer;
}

export type ThemePreference = 'system' | 'light' | 'dark';

export interface UiState {
  theme: ThemePreference;
  logFilter: LogFilter;
  logPaused: boolean;
  /** The timeline's window (live, or fixed by zoom, pan or brush); the charts follow a fixed one. */
  timeView: TimeView;
  /** The timeline's lanes grow with the pool up to this height (CSS px), then scroll; the user drags it. */
  timelineMaxHeight: number;
  chartWindowSec: number;
  /** The Instances panel as cards or as the compact table, its sort, and whether it lists retired instances. */
  instancesView: 'cards' | 'table';
  instanceSort: InstanceSort;
  instanceTableRetired: boolean;
  /**
   * The request whose story the request panel shows (an id of the current pool), chosen anywhere a
   * request is shown: the timeline, the event log, the failed list. Null when the panel is closed.
   */
  selectedRequest: number | null;
  /** The last command error, shown until dismissed. */
  notice: string | null;
}

export type { CommandResult } from '../../../protocol/index.ts';

export interface SendRequestsParams {
  count: number;
  concurrency: number;
  path: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** The client's timeout per request (ms); the engine's default (10 s) when absent. */
  timeoutMs?: number;
}

export interface ConnectionSlice {
  connection: ConnectionInfo;
  /** Sends any command; its reply, or the error (shown as a notice when `notify`), is returned. */
  command<C extends CommandInput>(command: C, notify?: boolean): Promise<CommandResult<ReplyTo<C>>>;
  /** Reconnects to the engine now, if the link is down and waiting to retry. */
  retryConnection(): void;
}

export interface DataSlice extends DataState {
  receive(message: ServerMessage): void;
}

export interface UiSlice {
  ui: UiState;
  setUi(patch: Partial<UiState>): void;
  setLogFilter(patch: Partial<LogFilter>): void;
}

export interface CommandsSlice {
  loadComponent(spec: string): Promise<CommandResult<Snapshot>>;
  setServing(serving: boolean): Promise<CommandResult<Snapshot>>;
  setKnobs(patch: PoolKnobsPatch): Promise<CommandResult<CommandReplies['setKnobs']>>;
  sendRequests(params: SendRequestsParams): Promise<CommandResult<CommandReplies['sendRequests']>>;
  clearHistory(): Promise<CommandResult<Snapshot>>;
  refresh(): Promise<CommandResult<Snapshot>>;
  runScenario(name: string, quick: boolean): Promise<CommandResult<CommandReplies['runScenario']>>;
  stopScenario(): Promise<CommandResult<CommandReplies['stopScenario']>>;
}

export interface ReplayState {
  fileName: string;
  source: RecordingSource;
  recording: Recording;
  /** Engine time shown, from `recording.startT` to `recording.endT`. */
  positionT: number;
  eventsApplied: number;
  playing: boolean;
  speed: number;
  /** The live dashboard, kept aside and up to date. */
  live: DataState;
}

export type ExportResult =
  | { ok: true; fileName: string; text: string; eventCount: number; truncated: boolean }
  | { ok: false; error: string };
export type ImportResult = { ok: true } | { ok: false; error: string };

export interface ReplaySlice {
  replay: ReplayState | null;
  /** The live recording's size, for the export control. */
  recorder: RecorderStatus;
  /** The live session as a recording file (the caller saves it). */
  exportRecording(): ExportResult;
  /** Opens a recording or a JSON-lines event file and shows its end; errors become a notice. */
  importRecording(text: string, fileName: string, modifiedAt?: Date): ImportResult;
  seek(t: number): void;
  /** Playback: `realMs` of wall time passed; moves `speed` times as far, stops at the end. */
  advance(realMs: number): void;
  play(): void;
  pause(): void;
  setSpeed(speed: number): void;
  exitReplay(): void;
}

export interface LeakView {
  /** The tab beside the event log. */
  tab: 'events' | 'leaks';
  /** Findings of this instance only, or all. */
  instanceId: number | null;
  /** The finding (by request id) whose diff is open. */
  requestId: number | null;
}

export interface LeaksSlice {
  leakView: LeakView;
  showLeakView(patch: Partial<LeakView>): void;
  /** Sends a patch; the reply is the merged settings (and a snapshot with them follows). */
  setLeakDetection(patch: LeakDetectionPatch): Promise<CommandResult<CommandReplies['setLeakDetection']>>;
}

export interface CompareState {
  /** The Compare view is shown (over the dashboard, which stays live beneath it). */
  open: boolean;
  /** Run A and run B, each folded from a recording file or the live run. */
  a: RunProfile | null;
  b: RunProfile | null;
  /** Why the last file picked for a side could not be read, by side. */
  errors: { a: string | null; b: string | null };
}

export interface CompareSlice {
  compare: CompareState;
  openCompare(): void;
  closeCompare(): void;
  /** Reads a recording (or an `--events` file) for one side, with the replay's own parser. */
  loadCompareFile(side: 'a' | 'b', text: string, fileName: string, modifiedAt?: Date): ImportResult;
  /** The live run as recorded so far, for one side. */
  compareLive(side: 'a' | 'b'): ImportResult;
}

export type Store = ConnectionSlice & DataSlice & UiSlice & CommandsSlice & ReplaySlice & LeaksSlice & CompareSlice;

/** One slice of `Store`, seeing the whole store (as zustand's slices guide writes them). */
export type Slice<T> = StateCreator<Store, [], [], T>;
