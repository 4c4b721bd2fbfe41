import { stringify } from 'csv-stringify/sync';
import { actorDisplay } from '../domain/actor.js';
import type { StoredEvent } from '../domain/event.js';
import type { EventRow } from '../store/store.js';

/**
 * The CSV export's columns, in order (documented in docs/operations.md, "Export"). One flat row
 * per event; `changes` and `context` hold compact JSON. A value the event does not have is empty.
 */
export const CSV_COLUMNS = [
  'id',
  'seq',
  'occurred_at',
  'tenant',
  'log',
  'category',
  'action',
  'crud',
  'actor_type',
  'actor_id',
  'actor',
  'resource_type',
  'resource_id',
  'resource',
  'path',
  'source',
  'service',
  'environment',
  'success',
  'status',
  'error_code',
  'reason',
  'method',
  'request_id',
  'ip',
  'user_agent',
  'client',
  'session_id',
  'changes',
  'context',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];

/**
 * Spreadsheets run a cell that begins with `=`, `+`, `-`, `@`, tab or CR as a formula (CSV
 * injection). Such a cell gets a leading `'`. A cell that already begins with `'` gets one too, so
 * the rule is reversible: a reader recovers every value by removing one leading `'`.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

export function escapeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Reverses `escapeFormula`. */
export function unescapeFormula(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

const text = (value: string | number | boolean | null | undefined): string =>
  value === undefined || value === null ? '' : String(value);

const json = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));

/** The cells of one event, in `CSV_COLUMNS` order, before formula escaping. */
export function csvCells(e: StoredEvent): Record<CsvColumn, string> {
  return {
    id: e.id,
    seq: text(e.seq),
    occurred_at: e.occurred_at,
    tenant: e.tenant,
    log: e.log,
    category: e.category,
    action: e.action,
    crud: e.crud,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    actor: actorDisplay(e.actor),
    resource_type: text(e.resource?.type),
    resource_id: text(e.resource?.id),
    resource: text(e.resource?.name),
    path: text(e.resource?.path),
    source: text(e.source),
    service: text(e.service),
    environment: text(e.environment),
    success: text(e.outcome.success),
    status: text(e.outcome.status),
    error_code: text(e.outcome.error_code),
    reason: text(e.outcome.reason),
    method: text(e.request?.method),
    request_id: text(e.request?.id),
    ip: text(e.client?.ip),
    user_agent: text(e.client?.user_agent),
    client: text(e.client?.name),
    session_id: text(e.session_id),
    changes: json(e.changes),
    context: json(e.context),
  };
}

// RFC 4180: comma, CRLF line ends, fields with a comma, quote or line break quoted and inner
// quotes doubled (what csv-stringify does with quoted_match unset).
const OPTIONS = { record_delimiter: 'windows', eof: true } as const;

/** The header line. */
export function csvHeader(): string {
  return stringify([[...CSV_COLUMNS]], OPTIONS);
}

/** CSV lines for stored rows, formula-escaped. */
export function csvLines(rows: readonly EventRow[]): string {
  const records = rows.map((row) => {
    const cells = csvCells(JSON.parse(row.body) as StoredEvent);
    return CSV_COLUMNS.map((column) => escapeFormula(cells[column]));
  });
  return stringify(records, OPTIONS);
}
