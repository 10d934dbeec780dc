import { knobChanges, knobRows, summaryRows } from '../compare/diff.ts';
import type { RunProfile } from '../compare/profile.ts';

/** What each run ran (component, knobs; changed knobs highlighted) and what it did (the summary, with B against A). */
export function CompareTables({ a, b }: { a: RunProfile; b: RunProfile }) {
  const knobs = knobRows(a.knobs, b.knobs);
  const changes = knobChanges(knobs);
  const metrics = summaryRows(a.summary, b.summary);
  const componentA = a.component?.name ?? '—';
  const componentB = b.component?.name ?? '—';
  return (
    <>
      <p className="compare-knob-changes" data-testid="compare-knob-changes">
        {changes.length > 0
          ? `Knobs changed (A → B): ${changes.join(', ')}`
          : a.knobs && b.knobs
            ? 'Both runs had the same knobs.'
            : 'Knobs unknown for a run read from an event file (it records none).'}
        {componentA !== componentB && ` Components differ: ${componentA} → ${componentB}.`}
      </p>
      <div className="compare-tables">
        <table className="compare-table" data-testid="compare-summary">
          <caption>Summary</caption>
          <thead>
            <tr>
              <th scope="col">Measure</th>
              <th scope="col">A</th>
              <th scope="col">B</th>
              <th scope="col">B − A</th>
              <th scope="col">B ÷ A</th>
            </tr>
          </thead>
          <tbody>
            {metrics.map((m) => (
              <tr key={m.key} data-metric={m.key} data-a={m.a ?? ''} data-b={m.b ?? ''}>
                <th scope="row">{m.label}</th>
                <td className="mono">{m.aText}</td>
                <td className="mono">{m.bText}</td>
                <td className="mono">{m.delta}</td>
                <td className="mono">{m.ratio}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="compare-table" data-testid="compare-knobs">
          <caption>Component and knobs (in force at the end of each run)</caption>
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">A</th>
              <th scope="col">B</th>
            </tr>
          </thead>
          <tbody>
            <tr data-changed={componentA !== componentB}>
              <th scope="row">Component</th>
              <td>{componentA}</td>
              <td>{componentB}</td>
            </tr>
            {knobs.map((k) => (
              <tr key={k.key} data-knob={k.key} data-changed={k.changed}>
                <th scope="row">
                  {k.label}
                  {k.changed && <span className="visually-hidden"> (changed)</span>}
                </th>
                <td className="mono">{k.a}</td>
                <td className="mono">{k.b}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
