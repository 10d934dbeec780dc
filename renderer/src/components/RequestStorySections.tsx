/**
 * The request panel's sections, each one part of a request's story (`model/request-story.ts`):
 * the outcome chip, the summary, the phases on one axis, headers, guest output, outgoing calls and
 * the leak verdict.
 */
import {
  describeCallTarget,
  REQUEST_DETAIL_LIMITS,
  type KeptHeaders,
  type RequestDetail,
} from '../../../protocol/index.ts';
import { fmtBytes, fmtMs } from '../model/format.ts';
import type { RequestStory, StoryLeak } from '../model/request-story.ts';

/** What the engine said about the selected request's detail. */
export type DetailState =
  | { state: 'loading' }
  | { state: 'kept'; detail: RequestDetail }
  | { state: 'missing'; reason: string }
  | { state: 'replay' };

export function OutcomeChip({ story }: { story: RequestStory }) {
  const text =
    story.failure !== null
      ? `failed: ${story.failure.kind}`
      : story.status !== null
        ? `${story.status}`
        : story.outcome;
  const tone = story.failure !== null || (story.status ?? 0) >= 500 ? 'err' : story.outcome === 'ok' ? 'ok' : 'dim';
  return (
    <span className={`chip request-outcome request-outcome-${tone}`} data-testid="request-status">
      {text}
    </span>
  );
}

export function Summary({ story }: { story: RequestStory }) {
  const ended = story.steps.find((s) => s.key === 'ended');
  return (
    <dl className="request-summary" data-testid="request-summary">
      <dt>Instance</dt>
      <dd
        data-testid="request-instance"
        data-instance-id={story.instanceId ?? ''}
        data-reuse-index={story.reuseIndex ?? ''}
      >
        {story.instanceId === null
          ? 'none (it never ran)'
          : `instance ${story.instanceId}${story.reuseIndex !== null ? `, its request #${story.reuseIndex}` : ''}`}
      </dd>
      <dt>Duration</dt>
      <dd>{ended ? `${fmtMs(ended.t - story.from)} from receipt to its end` : 'not over yet'}</dd>
      <dt>Request body</dt>
      <dd>{story.requestBodyBytes === null ? 'unknown' : fmtBytes(story.requestBodyBytes)}</dd>
      <dt>Response body</dt>
      <dd data-testid="request-response-bytes">
        {story.responseBodyBytes === null ? 'unknown' : fmtBytes(story.responseBodyBytes)}
      </dd>
      {story.failure && (
        <>
          <dt>Failure</dt>
          <dd className="err" data-testid="request-failure">
            {story.failure.message}
          </dd>
        </>
      )}
    </dl>
  );
}

/** The phases as rows on one shared axis (from receipt), then every step with its time since receipt. */
export function Phases({ story }: { story: RequestStory }) {
  const span = Math.max(story.to - story.from, 0.001);
  const at = (t: number): number => ((t - story.from) / span) * 100;
  return (
    <section className="request-section" aria-labelledby="request-phases-title">
      <h3 id="request-phases-title">Phases</h3>
      <p className="dim request-axis-note">
        One axis for all rows: 0 is its receipt, the right end {fmtMs(story.to - story.from)} later (engine clock).
      </p>
      <div className="request-waterfall" aria-hidden="true">
        {story.spans.map((s) => (
          <div key={s.key} className="request-span-row">
            <span className="request-span-label">{s.label}</span>
            <span className="request-span-track">
              <span
                className={`request-span request-span-${s.key}${s.open ? ' request-span-open' : ''}`}
                style={{ left: `${at(s.from)}%`, width: `max(2px, ${at(s.to) - at(s.from)}%)` }}
              />
            </span>
            <span className="request-span-ms mono">{fmtMs(s.to - s.from)}</span>
          </div>
        ))}
      </div>
      <ol className="request-steps" data-testid="request-steps">
        {story.steps.map((step) => (
          <li key={step.key} data-testid="story-step" data-step={step.key} data-t={step.t}>
            <span className="mono request-step-t">+{fmtMs(step.t - story.from)}</span> {step.label}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function Headers({ story, detail }: { story: RequestStory; detail: DetailState }) {
  let note: string | null = null;
  if (detail.state === 'replay') note = 'Headers were not recorded: a recording holds the events only.';
  else if (detail.state === 'loading') note = 'Asking the engine…';
  else if (detail.state === 'missing') note = `The engine has no detail: ${detail.reason}.`;
  else if (story.requestHeaders === null) note = 'It never reached the pool, so no headers were kept.';
  return (
    <section className="request-section" aria-labelledby="request-headers-title" data-testid="request-headers">
      <h3 id="request-headers-title">Headers</h3>
      {note !== null ? (
        <p className="dim" data-testid="request-headers-note" data-state={detail.state}>
          {note}
        </p>
      ) : null}
      {story.requestHeaders && (
        <HeaderTable title="Request" headers={story.requestHeaders} testId="request-headers-in" />
      )}
      {story.response && (
        <HeaderTable
          title={`Response ${story.response.status}`}
          headers={story.response.headers}
          testId="request-headers-out"
        />
      )}
    </section>
  );
}

function HeaderTable({ title, headers, testId }: { title: string; headers: KeptHeaders; testId: string }) {
  return (
    <table className="request-headers mono" data-testid={testId}>
      <caption>{title}</caption>
      <tbody>
        {headers.fields.length === 0 && (
          <tr>
            <td className="dim" colSpan={2}>
              no headers
            </td>
          </tr>
        )}
        {headers.fields.map(([name, value], i) => (
          // Names repeat (set-cookie): the position keeps keys unique; the list never reorders.
          <tr key={i}>
            <th scope="row">{name}</th>
            <td>{value}</td>
          </tr>
        ))}
        {headers.omitted > 0 && (
          <tr>
            <td className="dim" colSpan={2}>
              {headers.omitted} more not kept (the engine keeps {REQUEST_DETAIL_LIMITS.headerFields} fields,{' '}
              {REQUEST_DETAIL_LIMITS.headerChars / 1024} Ki characters per section)
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function Output({ story }: { story: RequestStory }) {
  const { lines, omitted, from } = story.output;
  return (
    <section className="request-section" aria-labelledby="request-output-title" data-testid="request-output">
      <h3 id="request-output-title">Guest output during it</h3>
      {lines.length === 0 ? (
        <p className="dim">No output{from === 'events' ? ' seen among its instance’s recent lines' : ''}.</p>
      ) : (
        <pre className="request-output">
          {lines.map((o, i) => (
            <span
              key={i}
              className={`request-output-line request-output-${o.stream}`}
              data-testid="request-output-line"
            >
              {o.stream === 'stderr' ? 'err ' : 'out '}
              {o.line}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
      {omitted > 0 && (
        <p className="dim">
          {omitted} more lines not kept (the engine keeps the first {REQUEST_DETAIL_LIMITS.outputLines} per request).
        </p>
      )}
      {story.alongside.length > 0 && (
        <p className="dim" data-testid="request-output-shared">
          {namesOf(story.alongside)} ran on the same instance meanwhile: the lines of that time are shared among them.
        </p>
      )}
      {from === 'events' && lines.length > 0 && (
        <p className="dim">From its instance’s most recent lines, as this dashboard kept them.</p>
      )}
    </section>
  );
}

export function Outgoing({ story }: { story: RequestStory }) {
  if (story.outgoing.length === 0) return null;
  return (
    <section className="request-section" aria-labelledby="request-outgoing-title" data-testid="request-outgoing">
      <h3 id="request-outgoing-title">Outgoing calls</h3>
      <ul className="request-outgoing">
        {story.outgoing.map((o) => (
          <li key={o.seq} className="mono">
            {describeCallTarget(o)} → {o.status ?? o.error?.tag ?? o.outcome} · {fmtMs(o.durationMs)}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Leak({ leak }: { leak: StoryLeak }) {
  let text: string;
  switch (leak.kind) {
    case 'finding':
      text =
        leak.finding.kind === 'leak'
          ? `leak: a fresh instance answered differently (${leak.finding.differences.length} difference(s))`
          : `failed on reuse: ${leak.finding.failure ?? 'the reused instance failed'}, where a fresh one answered`;
      break;
    case 'checked':
      text =
        leak.verdict === 'same'
          ? 'same: a fresh instance answered the same'
          : `${leak.verdict}${leak.message ? `: ${leak.message}` : ''}`;
      break;
    case 'none':
      text = leak.why;
      break;
  }
  return (
    <section className="request-section" aria-labelledby="request-leak-title">
      <h3 id="request-leak-title">Leak verdict</h3>
      <p data-testid="request-leak" data-kind={leak.kind} className={leak.kind === 'finding' ? 'err' : ''}>
        {text}
      </p>
    </section>
  );
}

/** Request ids as `r3, r4 and 12 more`: at most 10 named. */
function namesOf(ids: readonly number[]): string {
  const named = ids
    .slice(0, 10)
    .map((id) => `r${id}`)
    .join(', ');
  return ids.length > 10 ? `${named} and ${ids.length - 10} more` : named;
}
