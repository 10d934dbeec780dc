import { useRef, type ChangeEvent } from 'react';
import { saveBlob } from '../export/download.ts';
import { RECORDING_FILE_TYPES } from '../recording/format.ts';
import { useStore } from '../store/store.ts';

/** Header controls: export the live session as a recording, open one (or an `--events` file) to replay. */
export function RecordingControls() {
  const status = useStore((s) => s.recorder);
  const replaying = useStore((s) => s.replay !== null);
  const exportRecording = useStore((s) => s.exportRecording);
  const importRecording = useStore((s) => s.importRecording);
  const setUi = useStore((s) => s.setUi);
  const openCompare = useStore((s) => s.openCompare);
  const input = useRef<HTMLInputElement>(null);

  const onExport = (): void => {
    const result = exportRecording();
    if (!result.ok) return setUi({ notice: result.error });
    saveBlob(result.fileName, new Blob([result.text], { type: 'application/json' }));
  };
  const onFile = async (e: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = e.target.files?.[0];
    e.target.value = ''; // the same file can be opened again
    if (!file) return;
    try {
      importRecording(await file.text(), file.name, new Date(file.lastModified));
    } catch (error) {
      setUi({ notice: `Could not read ${file.name}: ${error instanceof Error ? error.message : String(error)}` });
    }
  };

  const title = replaying
    ? 'Back to live to export the live session'
    : status.truncated
      ? `The recording is full: it stopped at ${status.eventCount} events (it starts again with the next pool)`
      : `Save this session (${status.eventCount} events since the pool started) to replay it later`;
  return (
    <div className="recording-controls">
      <button
        type="button"
        className="btn btn-quiet"
        onClick={onExport}
        disabled={replaying || !status.started}
        title={title}
        data-testid="recording-export"
        data-event-count={status.eventCount}
        data-truncated={status.truncated}
      >
        ⤓ Export recording
        {status.truncated && <span className="badge badge-warn">full</span>}
      </button>
      <button
        type="button"
        className="btn btn-quiet"
        onClick={() => input.current?.click()}
        title="Replay a saved recording, or a poolscope serve --events file"
        data-testid="recording-open"
      >
        Open recording…
      </button>
      <button
        type="button"
        className="btn btn-quiet"
        onClick={openCompare}
        title="Compare two runs: recordings, or a recording and the live run"
        data-testid="compare-open"
      >
        Compare…
      </button>
      <input
        ref={input}
        type="file"
        accept={RECORDING_FILE_TYPES}
        hidden
        onChange={(e) => void onFile(e)}
        data-testid="recording-file-input"
      />
    </div>
  );
}
