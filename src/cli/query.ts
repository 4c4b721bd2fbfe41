import { actorDisplay } from '../domain/actor.js';
import type { StoredEvent } from '../domain/event.js';
import type { ApiClient } from './client.js';
import { columnWidths, printTable } from './table.js';

export interface QueryOptions {
  /** Query parameters, each with its values (repeated flags). */
  params: Map<string, string[]>;
  /** A trail path under /v1/audit instead of /logs, e.g. `secrets/prod/db/password`. */
  trail?: string;
  json: boolean;
  /** Follow next_cursor to the end. */
  all: boolean;
}

interface PageBody {
  data: StoredEvent[];
  next_cursor: string | null;
}

const HEADER = ['TIME', 'ACTION', 'ACTOR', 'RESOURCE', 'OUTCOME', 'SOURCE'];

/**
 * `vigil query`: one page (or every page with --all) as a table, or as NDJSON with --json.
 * Returns the next cursor when more pages remain and --all was not given.
 */
export async function queryEvents(client: ApiClient, options: QueryOptions, out: NodeJS.WritableStream): Promise<string | null> {
  const path = `/v1/audit/${options.trail ?? 'logs'}`;
  let cursor: string | null = null;
  let widths: number[] | undefined;
  do {
    const query = new URLSearchParams();
    for (const [name, values] of options.params) for (const v of values) query.append(name, v);
    if (cursor) query.set('cursor', cursor);
    const page: PageBody = await client.request<PageBody>('GET', path, { query });
    if (options.json) {
      for (const event of page.data) out.write(`${JSON.stringify(event)}\n`);
    } else {
      const rows = page.data.map(row);
      // The first page fixes the columns, so the pages of --all line up as one table.
      widths ??= columnWidths(HEADER, rows);
      printTable(out, cursor === null ? HEADER : null, rows, widths);
    }
    cursor = page.next_cursor;
  } while (options.all && cursor !== null);
  return cursor;
}

function row(event: StoredEvent): string[] {
  const resource = event.resource ? event.resource.path ?? event.resource.name ?? event.resource.id ?? event.resource.type : '-';
  const outcome = event.outcome.success
    ? `ok${event.outcome.status ? ` ${event.outcome.status}` : ''}`
    : `FAILED${event.outcome.status ? ` ${event.outcome.status}` : ''}${event.outcome.reason ? ` (${event.outcome.reason})` : ''}`;
  const source = [event.source, event.client?.ip].filter(Boolean).join(' ') || '-';
  return [event.occurred_at, event.action, actorDisplay(event.actor), resource, outcome, source];
}
