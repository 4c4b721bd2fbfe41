/**
 * Summary charts of the view's filters, from `GET /v1/audit/summary`: events over time (failures
 * in red), top actions, top actors, failures, and actors far outside their usual activity. Plain
 * SVG; every bar has a text equivalent, and every entry links to the view it summarises.
 */
import { useEffect, useState } from 'react';
import { api, ApiError, withQuery, type SummaryGroupEntry, type SummaryResponse } from '../api.js';
import { dateTitle, localDate } from '../format.js';
import { activityOf, valuesOf, withParam } from '../query.js';
import { ViewLink } from './ViewLink.js';


const GROUP_BY = 'action,actor,service,environment';
const HOUR = 3_600_000;

interface Props {
  query: URLSearchParams;
  /** Receives each answer, so the filter panel can suggest the services and environments seen. */
  onSummary(summary: SummaryResponse): void;
}

export function SummaryCharts({ query, onSummary }: Props) {
  const [summary, setSummary] = useState<SummaryResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = query.toString();

  useEffect(() => {
    const controller = new AbortController();
    const params = new URLSearchParams(key);
    params.set('group_by', GROUP_BY);
    params.set('top', '5');
    params.set('bucket', bucketFor(params));
    params.set('baseline', 'actor');
    setError(null);
    api<SummaryResponse>(withQuery('/v1/audit/summary', params), { signal: controller.signal }).then(
      (answer) => {
        setSummary(answer);
        onSummary(answer);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setSummary(null);
        setError(err instanceof ApiError ? err.message : 'The summary did not load.');
      },
    );
    return () => controller.abort();
  }, [key, onSummary]);

  return (
    <details className="summary-panel" open>
      <summary>
        <h2>Summary</h2>
        {summary && (
          <span className="muted small">
            {summary.total.toLocaleString()} events from <time title={dateTitle(summary.from)}>{localDate(summary.from)}</time> to{' '}
            <time title={dateTitle(summary.to)}>{localDate(summary.to)}</time>
          </span>
        )}
      </summary>
      {error && <p className="error">Summary unavailable: {error}</p>}
      {summary && (
        <div className="charts">
          <figure className="chart wide">
            <figcaption>Events over time</figcaption>
            <TimeChart buckets={summary.buckets ?? []} />
          </figure>
          <figure className="chart">
            <figcaption>Top actions</figcaption>
            <BarList entries={summary.groups.action ?? []} linkTo={(e) => withParam(query, 'action', e.key)} />
          </figure>
          <figure className="chart">
            <figcaption>Top actors</figcaption>
            <BarList entries={summary.groups.actor ?? []} linkTo={(e) => withParam(query, 'actor', e.label)} />
          </figure>
          <figure className="chart">
            <figcaption>Failures</figcaption>
            <Failures summary={summary} query={query} />
          </figure>
        </div>
      )}
    </details>
  );
}

/** Minute buckets for a few hours, hours up to a week, days beyond. */
function bucketFor(params: URLSearchParams): 'minute' | 'hour' | 'day' {
  const range = params.get('range');
  const from = params.get('from');
  const to = params.get('to');
  let span = 24 * HOUR;
  const m = range ? /^(\d+)([mhd])$/.exec(range) : null;
  if (m) span = Number(m[1]) * { m: 60_000, h: HOUR, d: 24 * HOUR }[m[2] as 'm' | 'h' | 'd'];
  else if (from) span = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return span <= 3 * HOUR ? 'minute' : span <= 7 * 24 * HOUR ? 'hour' : 'day';
}

const W = 600;
const H = 100;

/** Bars stretch to the panel's width; the labels are HTML, so they never stretch with them. */
function TimeChart({ buckets }: { buckets: NonNullable<SummaryResponse['buckets']> }) {
  if (buckets.length === 0) return <p className="muted">No events in this window.</p>;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const step = W / buckets.length;
  const bar = Math.max(0.5, step * 0.8);
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const failures = buckets.reduce((n, b) => n + b.failures, 0);
  const first = buckets[0]!;
  const last = buckets[buckets.length - 1]!;
  return (
    <div className="time-chart">
      <span className="tick max">{max}</span>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${total} events (${failures} failed) in ${buckets.length} intervals from ${localDate(first.start)} to ${localDate(last.start)}; the busiest had ${max}.`}
      >
        {buckets.map((b, i) => {
          const h = (b.count / max) * H;
          const fh = (b.failures / max) * H;
          return (
            <g key={b.start}>
              <title>{`${localDate(b.start)}: ${b.count} events, ${b.failures} failed`}</title>
              <rect className="bar" x={i * step} y={H - h} width={bar} height={h} />
              {b.failures > 0 && <rect className="bar-failed" x={i * step} y={H - fh} width={bar} height={fh} />}
            </g>
          );
        })}
        <line className="axis" x1={0} x2={W} y1={H} y2={H} />
      </svg>
      <div className="ticks" aria-hidden="true">
        <span className="tick">{shortDate(first.start)}</span>
        <span className="tick">{shortDate(last.start)}</span>
      </div>
    </div>
  );
}

function shortDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

interface BarListProps {
  entries: SummaryGroupEntry[];
  linkTo(entry: SummaryGroupEntry): URLSearchParams;
  value?(entry: SummaryGroupEntry): number;
}

/** A ranked list with proportional bars; each entry opens the view filtered to it. */
function BarList({ entries, linkTo, value = (e) => e.count }: BarListProps) {
  if (entries.length === 0) return <p className="muted">None in this window.</p>;
  const max = Math.max(1, ...entries.map(value));
  return (
    <ol className="bar-list">
      {entries.map((entry) => (
        <li key={entry.key}>
          <ViewLink to={linkTo(entry)} title={`Show ${entry.label}`}>
            {entry.label}
          </ViewLink>
          <span className="count">{value(entry).toLocaleString()}</span>
          <svg className="bar-track" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
            <rect className="bar" width={(value(entry) / max) * 100} height={6} />
            {entry.failures > 0 && <rect className="bar-failed" width={(entry.failures / max) * 100} height={6} />}
          </svg>
        </li>
      ))}
    </ol>
  );
}

function Failures({ summary, query }: { summary: SummaryResponse; query: URLSearchParams }) {
  const failing = (summary.groups.action ?? []).filter((e) => e.failures > 0).sort((a, b) => b.failures - a.failures);
  const flagged = (summary.baselines ?? []).filter((b) => b.flagged);
  const showFailures = withParam(query, 'success', 'false');
  return (
    <div className="failures">
      <p className="stat">
        <strong>{summary.failures.toLocaleString()}</strong> failed of {summary.total.toLocaleString()} ({(summary.failure_rate * 100).toFixed(1)}%)
        {summary.failures > 0 && valuesOf(query, 'success').length === 0 && (
          <>
            {' '}
            <ViewLink to={showFailures}>Show failures</ViewLink>
          </>
        )}
      </p>
      {failing.length > 0 && <BarList entries={failing} linkTo={(e) => withParam(showFailures, 'action', e.key)} value={(e) => e.failures} />}
      {flagged.length > 0 && (
        <>
          <h4>Unusual activity today</h4>
          <ul className="flagged">
            {flagged.map((b) => (
              <li key={b.actor_id}>
                <ViewLink to={activityOf(query, 'actor', b.actor)}>{b.actor}</ViewLink>: {b.today} today against {b.mean.toFixed(1)} a day
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
