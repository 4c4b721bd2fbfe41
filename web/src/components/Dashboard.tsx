/** The signed-in dashboard: log tabs, filters, summary, events; the whole view is the query string. */
import { useCallback, useState } from 'react';
import type { SessionView, SummaryResponse } from '../api.js';
import { useLocationQuery } from '../query.js';
import { EventTable } from './EventTable.js';
import { ExportLinks } from './ExportLinks.js';
import { FilterPanel, type Suggestions } from './FilterPanel.js';
import { Header, TenantPicker } from './Header.js';
import { IntegrityStatus } from './IntegrityStatus.js';
import { LogTabs } from './LogTabs.js';
import { SummaryCharts } from './SummaryCharts.js';
import { NavigateContext } from './ViewLink.js';

interface Props {
  session: SessionView;
  onSignOut(): void;
}

const keys = (entries: { key: string }[] | undefined) => (entries ?? []).map((e) => e.key);

export function Dashboard({ session, onSignOut }: Props) {
  const [query, navigate] = useLocationQuery();
  const [suggestions, setSuggestions] = useState<Suggestions>({ service: [], environment: [] });
  const tenant = session.tenant ?? query.get('tenant');
  const onSummary = useCallback(
    (s: SummaryResponse) => setSuggestions({ service: keys(s.groups.service), environment: keys(s.groups.environment) }),
    [],
  );

  return (
    <NavigateContext.Provider value={navigate}>
      <a className="skip" href="#main">
        Skip to events
      </a>
      <Header session={session} tenant={tenant} onSignOut={onSignOut} />
      {tenant === null ? (
        <main className="choose-tenant">
          <h1>Choose a tenant</h1>
          <p>This is a platform key: it reads one tenant at a time.</p>
          <TenantPicker tenant={null} />
        </main>
      ) : (
        <>
          <LogTabs query={query} />
          <div className="layout">
            <FilterPanel query={query} suggestions={suggestions} />
            <main className="content" id="main" tabIndex={-1}>
              <div className="toolbar">
                <h1>{title(query)}</h1>
                <IntegrityStatus tenant={session.tenant === null ? tenant : null} />
                <ExportLinks query={query} />
              </div>
              <SummaryCharts query={query} onSummary={onSummary} />
              <EventTable query={query} />
            </main>
          </div>
        </>
      )}
    </NavigateContext.Provider>
  );
}

function title(query: URLSearchParams): string {
  const log = query.get('log');
  const names: Record<string, string> = { audit: 'Audit log', request: 'Request log', user: 'User log', mcp: 'MCP log' };
  return (log && names[log]) ?? 'All logs';
}
