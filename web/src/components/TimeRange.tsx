/**
 * The time window: presets (`range=24h|7d|30d`, relative to now, so a link stays "the last 7
 * days") or a custom range (`from`/`to`, typed in the reader's zone, sent as UTC).
 */
import { useId } from 'react';

const PRESETS: readonly (readonly [string, string])[] = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

interface Props {
  draft: URLSearchParams;
  onChange(next: URLSearchParams): void;
}

export function TimeRange({ draft, onChange }: Props) {
  const id = useId();
  const range = draft.get('range');
  const custom = draft.has('from') || draft.has('to');
  const mode = range ?? (custom ? 'custom' : 'any');
  const presets: (readonly [string, string])[] = [['any', 'Any time'], ...PRESETS];
  // A range from a link that is not a preset (90d) is shown as chosen.
  if (range !== null && !PRESETS.some(([value]) => value === range)) presets.push([range, `Last ${range}`]);

  function choose(value: string) {
    const next = new URLSearchParams(draft);
    next.delete('range');
    next.delete('from');
    next.delete('to');
    if (value === 'custom') {
      const now = new Date();
      next.set('from', new Date(now.getTime() - 86_400_000).toISOString());
      next.set('to', now.toISOString());
    } else if (value !== 'any') {
      next.set('range', value);
    }
    onChange(next);
  }

  function setBound(name: 'from' | 'to', local: string) {
    const next = new URLSearchParams(draft);
    const time = new Date(local);
    if (local === '' || Number.isNaN(time.getTime())) next.delete(name);
    else next.set(name, time.toISOString());
    onChange(next);
  }

  return (
    <fieldset className="radios time">
      <legend>Time</legend>
      {[...presets, ['custom', 'Custom range'] as const].map(([value, label]) => (
        <label key={value}>
          <input type="radio" name="time" value={value} checked={mode === value} onChange={() => choose(value)} />
          {label}
        </label>
      ))}
      {mode === 'custom' && (
        <div className="custom-range">
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} type="datetime-local" step="1" value={toLocalInput(draft.get('from'))} onChange={(e) => setBound('from', e.target.value)} />
          <label htmlFor={`${id}-to`}>To</label>
          <input id={`${id}-to`} type="datetime-local" step="1" value={toLocalInput(draft.get('to'))} onChange={(e) => setBound('to', e.target.value)} />
          <small className="hint">In your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}); “to” is exclusive.</small>
        </div>
      )}
    </fieldset>
  );
}

/** An ISO time as the value of a datetime-local field, in the reader's zone, to the second. */
function toLocalInput(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
