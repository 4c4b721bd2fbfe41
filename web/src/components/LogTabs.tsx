/** The four logs (and all of them) as links that keep the other filters. */
import { valuesOf, withParam } from '../query.js';
import { ViewLink } from './ViewLink.js';

const TABS = [
  [null, 'All logs'],
  ['audit', 'Audit'],
  ['request', 'Request'],
  ['user', 'User'],
  ['mcp', 'MCP'],
] as const;

export function LogTabs({ query }: { query: URLSearchParams }) {
  const logs = valuesOf(query, 'log');
  const current = logs.length === 1 ? logs[0] : logs.length === 0 ? null : undefined;
  return (
    <nav className="tabs" aria-label="Logs">
      {TABS.map(([log, label]) => (
        <ViewLink key={label} to={withParam(query, 'log', log ?? undefined)} aria-current={current === log ? 'page' : undefined}>
          {label}
        </ViewLink>
      ))}
    </nav>
  );
}
