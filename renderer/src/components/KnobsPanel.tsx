import { KNOB_FIELDS } from '../model/knob-form.ts';
import { useStore } from '../store/store.ts';
import { KnobField } from './KnobField.tsx';
import { EngineControls } from './EngineControls.tsx';
import { Panel } from './Panel.tsx';

export function KnobsPanel() {
  const requested = useStore((s) => s.pool.requestedKnobs);
  const effective = useStore((s) => s.pool.knobs);
  const world = useStore((s) => s.pool.component?.world ?? null);
  return (
    <Panel title="Knobs" meta="applied live" testId="knobs-panel">
      <EngineControls whileDisconnected="refuse">
        {requested && effective ? (
          <div className="knobs">
            {KNOB_FIELDS.map((field) => (
              <KnobField key={field.key} field={field} requested={requested} effective={effective} world={world} />
            ))}
          </div>
        ) : (
          <p className="empty">Waiting for the engine…</p>
        )}
      </EngineControls>
    </Panel>
  );
}
