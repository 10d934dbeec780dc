import { useState, type FormEvent } from 'react';
import { useStore } from '../store/store.ts';
import { EngineControls } from './EngineControls.tsx';

/** Demo names come as `demo:<name>` (or bare): the spec `load` takes. */
function demoSpec(name: string): string {
  return name.startsWith('demo:') ? name : `demo:${name}`;
}

/** Pick a demo or type a path, then `load` it. */
export function ComponentPicker() {
  const demos = useStore((s) => s.pool.demos);
  const current = useStore((s) => s.pool.component?.spec ?? '');
  const loadComponent = useStore((s) => s.loadComponent);
  const [spec, setSpec] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (value: string): Promise<void> => {
    if (!value.trim()) return;
    setBusy(true);
    setError(null);
    const result = await loadComponent(value.trim());
    setBusy(false);
    if (!result.ok) setError(result.error);
    else setSpec('');
  };
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    void load(spec);
  };

  return (
    <form className="picker" onSubmit={onSubmit} data-testid="component-picker">
      <EngineControls>
        <select
          className="input"
          aria-label="Demo component"
          value=""
          disabled={busy || demos.length === 0}
          onChange={(e) => void load(e.target.value)}
        >
          <option value="">{demos.length ? 'Demos…' : 'No demos'}</option>
          {demos.map((d) => {
            const spec = demoSpec(d.name);
            return (
              <option key={spec} value={spec} title={d.description}>
                {spec}
                {spec === current ? ' (loaded)' : ''} — {d.description}
              </option>
            );
          })}
        </select>
        <input
          className="input mono picker-path"
          aria-label="Component path"
          placeholder="/path/to/component.wasm"
          value={spec}
          onChange={(e) => setSpec(e.target.value)}
          disabled={busy}
        />
        <button type="submit" className="btn" disabled={busy || !spec.trim()}>
          {busy ? 'Loading…' : 'Load'}
        </button>
        {error && (
          <span className="picker-error" role="alert" title={error}>
            {error}
          </span>
        )}
      </EngineControls>
    </form>
  );
}
