import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { REPLAY_SPEEDS } from '../store/replay-slice.ts';
import { useStore } from '../store/store.ts';
import { Segmented } from './Segmented.tsx';
import { fmtTLong, TIME_BASE, TIME_BASE_LABEL } from '../time/time-base.ts';

/** Playback steps: as often as the live dashboard gets batches. */
const FRAME_MS = 50;
const SPEEDS = REPLAY_SPEEDS.map((speed): { value: number; label: string; testId: string } => ({
  value: speed,
  label: `${speed}×`,
  testId: `replay-speed-${speed}`,
}));

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/** Shown while a recording is replayed: what it is, play/pause, speed, the time scrubber, back to live. */
export function ReplayBar() {
  // Fields picked one by one: `replay.live` changes with every live batch, and this bar need not.
  const r = useStore(
    useShallow((s) =>
      s.replay
        ? {
            fileName: s.replay.fileName,
            source: s.replay.source,
            recordedAt: s.replay.recording.exportedAt,
            startT: s.replay.recording.startT,
            endT: s.replay.recording.endT,
            eventCount: s.replay.recording.eventCount,
            truncated: s.replay.recording.truncated,
            positionT: s.replay.positionT,
            eventsApplied: s.replay.eventsApplied,
            playing: s.replay.playing,
            speed: s.replay.speed,
          }
        : null,
    ),
  );
  const { seek, play, pause, advance, setSpeed, exitReplay } = useStore(
    useShallow((s) => ({
      seek: s.seek,
      play: s.play,
      pause: s.pause,
      advance: s.advance,
      setSpeed: s.setSpeed,
      exitReplay: s.exitReplay,
    })),
  );
  const playing = r?.playing ?? false;
  // Dragging fires many input events; a big recording takes a while to render, so the newest
  // position is shown once per frame instead of every one in turn.
  const pending = useRef<{ t: number; frame: number } | null>(null);
  /** Where the thumb was dragged to, until the dashboard shows it. */
  const [dragged, setDragged] = useState<number | null>(null);
  const seekSoon = (t: number): void => {
    setDragged(t);
    if (pending.current) {
      pending.current.t = t;
      return;
    }
    const frame = requestAnimationFrame(() => {
      const next = pending.current;
      pending.current = null;
      if (next) seek(next.t);
      setDragged(null);
    });
    pending.current = { t, frame };
  };
  useEffect(() => () => cancelAnimationFrame(pending.current?.frame ?? 0), []);

  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      advance(now - last);
      last = now;
    }, FRAME_MS);
    return () => clearInterval(timer);
  }, [playing, advance]);

  if (!r) return null;
  const duration = r.endT - r.startT;
  const offset = r.positionT - r.startT;
  const when = new Date(r.recordedAt).toLocaleString();
  return (
    <div
      className="replay-bar"
      role="region"
      aria-label="Recording replay"
      data-testid="replay-bar"
      data-position={offset}
      data-duration={duration}
      data-events-applied={r.eventsApplied}
      data-event-count={r.eventCount}
      data-playing={r.playing}
      data-speed={r.speed}
    >
      <span className="replay-banner ellipsis" title={r.fileName}>
        <span className="replay-mark" aria-hidden="true" /> Replaying <b>{r.fileName}</b> —{' '}
        {r.source === 'json-lines' ? 'event stream, saved' : 'recorded'} {when}
        {r.truncated && (
          <span className="badge badge-warn" title="The recorder was full: the session went on after this">
            cut off
          </span>
        )}
      </span>
      <button
        type="button"
        className="btn btn-small"
        onClick={r.playing ? pause : play}
        data-testid="replay-play"
        aria-pressed={r.playing}
        disabled={duration <= 0}
      >
        {r.playing ? '❚❚ Pause' : '▶ Play'}
      </button>
      <Segmented label="Replay speed" options={SPEEDS} value={r.speed} onChange={setSpeed} />
      <input
        type="range"
        className="replay-scrubber"
        min={0}
        max={Math.max(duration, 0)}
        step="any"
        value={(dragged ?? r.positionT) - r.startT}
        onChange={(e) => seekSoon(r.startT + Number(e.target.value))}
        aria-label="Replay position"
        aria-valuetext={`${seconds(offset)} of ${seconds(duration)}, ${fmtTLong(r.positionT)} (${TIME_BASE})`}
        data-testid="replay-scrubber"
      />
      <span className="mono replay-offset" data-testid="replay-offset">
        {seconds(offset)} / {seconds(duration)}
      </span>
      {/* The same base the timeline, charts and log use, so a time read there can be found here. */}
      <span className="mono dim" data-testid="replay-engine-t" title={TIME_BASE_LABEL}>
        {fmtTLong(r.positionT)}
      </span>
      <span className="mono dim" data-testid="replay-events">
        {r.eventsApplied} of {r.eventCount} events
      </span>
      {/* No dot on it: a green dot would say "live" while the recording is on screen. */}
      <button type="button" className="btn btn-small btn-live" onClick={exitReplay} data-testid="replay-exit">
        ↩ Back to live
      </button>
    </div>
  );
}
