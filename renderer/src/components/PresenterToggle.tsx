import { usePresenter } from '../hooks/usePresenter.ts';

/** The header's presenter-mode switch: a large scenario caption and only the views a room needs. */
export function PresenterToggle() {
  const [on, setOn] = usePresenter();
  return (
    <button
      type="button"
      className="btn btn-quiet presenter-toggle"
      aria-pressed={on}
      title={on ? 'Leave presenter mode' : 'Presenter mode: large caption, minimal chrome (also ?presenter=1)'}
      onClick={() => setOn(!on)}
      data-testid="presenter-toggle"
    >
      Present
    </button>
  );
}
