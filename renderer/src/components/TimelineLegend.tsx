/** What the timeline's colours and marks mean, and how to move around it. */
export function TimelineLegend() {
  return (
    <ul className="legend" aria-label="Timeline legend" data-testid="timeline-legend">
      <li className="lg lg-ok">answered</li>
      <li className="lg lg-run">running</li>
      <li className="lg lg-wait" title="From request.received to request.accepted: waiting for an instance">
        queue wait (received → accepted)
      </li>
      <li className="lg lg-start">instance starting</li>
      <li className="lg lg-trap">trap / 5xx</li>
      <li className="lg lg-err">timeout / failed</li>
      <li className="lg lg-exit">instance exit</li>
      <li className="lg lg-leak">leak found</li>
      <li className="lg lg-out">outgoing</li>
      <li className="lg lg-sel">selected</li>
    </ul>
  );
}

/** How to move around, for the help text the lanes are described by. */
export const TIMELINE_KEYS =
  'Wheel zooms around the pointer, drag pans, shift-drag selects a range, shift-wheel scrolls the lanes. ' +
  'Keys: arrows move between requests (left and right in time, up and down across instances), Enter selects, ' +
  '+ and − zoom, shift-arrows pan, Home goes back to live.';
