import { csvFormatRow } from 'd3-dsv';
import { actorDisplay } from '../domain/actor.js';
import type { StoredEvent } from '../domain/event.js';

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

/**
 * Spreadsheets run a cell that begins with `=`, `+`, `-`, `@`, tab or CR as a formula (CSV
 * injection). Such a cell gets a leading `'`. A cell that already begins with `'` gets one too, so
 * the rule is reversible: a reader recovers every value by removing one leading `'`.
 */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', "'"]);

export function escapeFormula(value: string): string {
  return value.length > 0 && FORMULA_START.has(value[0]!) ? `'${value}` : value;
}

/** Reverses `escapeFormula`. */
export function unescapeFormula(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/**
 * CSV lines, each CRLF-terminated: RFC 4180 quoting by d3-dsv (a cell with a comma, a double
 * quote or a line break is enclosed in double quotes, inner quotes doubled), every cell
 * formula-escaped first. d3-dsv rather than Papa Parse or csv-stringify: it tests each cell with
 * one regular expression, where Papa Parse scanned it seven times (2.6 against 1.4 µs per row,
 * the largest part of an export's CPU after JSON.parse) and csv-stringify allocated about eight
 * times as much per row (BENCHMARKS.md, "Export").
 */
function line(cells: readonly string[]): string {
  return `${csvFormatRow(cells.map(escapeFormula))}\r\n`;
}

const text = (value: string | number | boolean | null | undefined): string =>
  value === undefined || value === null ? '' : String(value);

const json = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));

/** The cells of one event in `CSV_COLUMNS` order, before formula escaping and quoting. */
export function csvRecord(e: StoredEvent): string[] {
  const { actor, resource, outcome, request, client } = e;
  return [
    e.id,
    String(e.seq),
    e.occurred_at,
    e.tenant,
    e.log,
    e.category,
    e.action,
    e.crud,
    actor.type,
    actor.id,
    actorDisplay(actor),
    text(resource?.type),
    text(resource?.id),
    text(resource?.name),
    text(resource?.path),
    text(e.source),
    text(e.service),
    text(e.environment),
    outcome.success ? 'true' : 'false',
    text(outcome.status),
    text(outcome.error_code),
    text(outcome.reason),
    text(request?.method),
    text(request?.id),
    text(client?.ip),
    text(client?.user_agent),
    text(client?.name),
    text(e.session_id),
    json(e.changes),
    json(e.context),
  ];
}

/** The header line. */
export function csvHeader(): string {
  return line(CSV_COLUMNS);
}

/** CSV lines for stored bodies. */
export function csvLines(bodies: readonly string[]): string {
  let out = '';
  for (const body of bodies) out += line(csvRecord(JSON.parse(body) as StoredEvent));
  return out;
}
