/**
 * The filter panel: edits a draft of the query string; Apply makes it the view (a new history
 * entry, so every view is a link), Reset clears every filter but the tenant and the log tab.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { CATALOGUE, CATEGORIES } from '../../../src/domain/catalogue.js';
import { CRUDS, LOGS, SOURCES } from '../../../src/domain/event.js';
import { resetFilters, valuesOf, withParam } from '../query.js';
import { ChipInput } from './ChipInput.js';
import { MultiCheck } from './MultiCheck.js';
import { TimeRange } from './TimeRange.js';
import { useNavigate } from './ViewLink.js';

/** Known action spellings with what they mean, for the action field's suggestions. */
const ACTION_SUGGESTIONS = CATALOGUE.flatMap((entry) => entry.names.map((name) => ({ value: name, label: entry.description })));
const RESOURCE_TYPES = ['secret', 'project', 'variable', 'member', 'api_key', 'policy', 'certificate', 'lease', 'connector', 'connector_endpoint', 'organization', 'billing'];
const ENVIRONMENTS = ['production', 'staging', 'development'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
/** The phone layout's breakpoint (styles.css). */
const NARROW = '(max-width: 760px)';

/** List parameters whose values are normalised (split on commas, trimmed) on Apply. */
const LIST_PARAMS = ['log', 'category', 'action', 'crud', 'actor', 'resource_type', 'source', 'service', 'environment', 'status', 'method', 'ip', 'not_ip'];
/** Parameters the panel edits; any other (from a link) is listed under "Also filtered by". */
const PANEL_PARAMS = new Set([...LIST_PARAMS, 'tenant', 'q', 'resource', 'range', 'from', 'to', 'success']);

/** Values seen in the log, offered as suggestions (from the summary API when it answers). */
export interface Suggestions {
  service: string[];
  environment: string[];
}

interface Props {
  query: URLSearchParams;
  suggestions: Suggestions;
}

export function FilterPanel({ query, suggestions }: Props) {
  const navigate = useNavigate();
  const [draft, setDraft] = useState(query);
  const narrow = () => window.matchMedia(NARROW).matches;
  // Folded away on phones until asked for, and again once applied, so the results show.
  const [open, setOpen] = useState(() => !narrow());
  useEffect(() => setDraft(query), [query]);

  const set = (name: string, values: string | readonly string[] | undefined) => setDraft((d) => withParam(d, name, values));
  // Text is kept exactly as typed (spaces, trailing commas) and tidied on Apply.
  const setText = (name: string, value: string) => setDraft((d) => withText(d, name, value));
  const text = (name: string) => draft.get(name) ?? '';
  const list = (name: string) => valuesOf(draft, name);
  const active = [...new Set([...query.keys()])].filter((k) => k !== 'tenant' && k !== 'log').length;
  const others = [...new Set(draft.keys())].filter((k) => !PANEL_PARAMS.has(k));

  function apply(event: FormEvent) {
    event.preventDefault();
    let next = draft;
    for (const name of LIST_PARAMS) if (next.has(name)) next = withParam(next, name, valuesOf(next, name));
    for (const name of ['q', 'resource']) if (next.has(name)) next = withParam(next, name, next.get(name)!);
    navigate(next);
    if (narrow()) setOpen(false);
  }

  return (
    <aside className="filters" aria-label="Filters">
      <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <h2>Filters</h2>
          {active > 0 && <span className="count">{active} active</span>}
        </summary>
        <form onSubmit={apply} onReset={(e) => (e.preventDefault(), navigate(resetFilters(query)))}>
          <div className="filter-actions">
            <button type="submit" className="primary">
              Apply
            </button>
            <button type="reset">Reset</button>
          </div>

          <TextField label="Search" name="q" value={text('q')} onChange={setText} hint="Action, actor, resource or reason" />
          <TimeRange draft={draft} onChange={setDraft} />
          <TextField label="Actor" name="actor" value={text('actor')} onChange={setText} hint="Email, name, api-key:<name> or agent:<name>" />
          <TextField label="Resource" name="resource" value={text('resource')} onChange={setText} hint="Name, id or path" />

          <fieldset className="radios">
            <legend>Outcome</legend>
            {[
              ['', 'Any'],
              ['true', 'Success'],
              ['false', 'Failure'],
            ].map(([value, label]) => (
              <label key={label}>
                <input type="radio" name="success" value={value} checked={text('success') === value} onChange={() => set('success', value)} />
                {label}
              </label>
            ))}
          </fieldset>

          <MultiCheck label="Category" name="category" options={CATEGORIES} selected={list('category')} onChange={set} />
          <ChipInput label="Action" name="action" values={list('action')} onChange={set} suggestions={ACTION_SUGGESTIONS} hint="Exact, or a prefix such as secret.*" />
          <MultiCheck label="Operation" name="crud" options={CRUDS} selected={list('crud')} onChange={set} />
          <ChipInput label="Resource type" name="resource_type" values={list('resource_type')} onChange={set} suggestions={plain(RESOURCE_TYPES)} />
          <MultiCheck label="Source" name="source" options={SOURCES} selected={list('source')} onChange={set} />
          <ChipInput label="Service" name="service" values={list('service')} onChange={set} suggestions={plain(suggestions.service)} />
          <ChipInput label="Environment" name="environment" values={list('environment')} onChange={set} suggestions={plain([...ENVIRONMENTS, ...suggestions.environment])} />
          <MultiCheck label="Log" name="log" options={LOGS} selected={list('log')} onChange={set} />
          <MultiCheck label="Method" name="method" options={METHODS} selected={list('method')} onChange={set} />
          <TextField label="Status" name="status" value={text('status')} onChange={setText} hint="403, or a class such as 4xx; commas for several" />
          <TextField label="IP address" name="ip" value={text('ip')} onChange={setText} hint="Address or CIDR block; commas for several" />
          <TextField label="Exclude IP addresses" name="not_ip" value={text('not_ip')} onChange={setText} hint="Known addresses or blocks, to see the unfamiliar ones" />

          {others.length > 0 && (
            <fieldset>
              <legend>Also filtered by</legend>
              <ul className="chip-list">
                {others.map((name) => (
                  <li key={name} className="chip">
                    <span>
                      {name} = {draft.getAll(name).join(', ')}
                    </span>
                    <button type="button" aria-label={`Remove filter ${name}`} onClick={() => set(name, undefined)}>
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            </fieldset>
          )}
        </form>
      </details>
    </aside>
  );
}

function withText(query: URLSearchParams, name: string, value: string): URLSearchParams {
  const next = new URLSearchParams(query);
  if (value === '') next.delete(name);
  else next.set(name, value);
  return next;
}

function plain(values: string[]): { value: string }[] {
  return [...new Set(values)].map((value) => ({ value }));
}

interface TextFieldProps {
  label: string;
  name: string;
  value: string;
  hint?: string;
  onChange(name: string, value: string): void;
}

/** A text filter, kept as typed until Apply. */
function TextField({ label, name, value, hint, onChange }: TextFieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type="search" value={value} onChange={(e) => onChange(name, e.target.value)} aria-describedby={hint ? `${id}-hint` : undefined} autoComplete="off" spellCheck={false} />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
