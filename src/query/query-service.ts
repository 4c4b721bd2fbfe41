import { canSee, narrowFilter } from '../auth/narrowing.js';
import { readTenant, requirePermission, type Principal } from '../auth/principal.js';
import { decodeCursor, encodeCursor, queryHash } from '../domain/cursor.js';
import { invalid, VigilError } from '../domain/errors.js';
import type { EventFilter } from '../domain/filter.js';
import { nowMicros } from '../domain/time.js';
import type { EventRow, Store } from '../store/store.js';
import { parseQuery, type ParsedQuery, type RawQuery } from './parse-filters.js';
import { applyTrail, type Trail } from './trails.js';

/**
 * The read path: checks the caller may read, parses its filters, and answers one keyset page.
 * Pages are built as JSON text from the stored canonical bodies, which are never re-parsed.
 */
export class QueryService {
  constructor(
    private readonly store: Store,
    private readonly cursorKey: Uint8Array,
    private readonly now: () => number = nowMicros,
  ) {}

  /** One page, as the JSON text `{"data":[events],"next_cursor":string|null}`. */
  async page(principal: Principal, raw: RawQuery, trail?: Trail): Promise<string> {
    requirePermission(principal, 'read');
    const asked = trail ? applyTrail(parseQuery(raw, this.now()), trail) : parseQuery(raw, this.now());
    // Narrowed before the cursor binding: a cursor carries over only between equally narrowed callers.
    const parsed = { ...asked, filter: narrowFilter(principal, asked.filter) };
    const tenant = readTenant(principal, parsed.tenant);
    const bound = { tenant, order: parsed.order, queryHash: queryHash(cursorBinding(parsed)) };
    const resumed = parsed.cursor === undefined ? undefined : decodeCursor(this.cursorKey, parsed.cursor, bound);
    const filter = resumed ? withWindow(parsed.filter, resumed.window) : parsed.filter;
    const rows = await this.store.query({
      tenant,
      filter,
      order: parsed.order,
      // One row more than asked tells whether another page follows.
      limit: parsed.limit + 1,
      ...(resumed ? { after: resumed.position } : {}),
    });
    const page = rows.slice(0, parsed.limit);
    const last = page[page.length - 1];
    const next =
      rows.length > parsed.limit && last
        ? encodeCursor(this.cursorKey, { ...bound, position: positionOf(last), window: windowOf(filter) })
        : null;
    return `{"data":[${page.map((r) => r.body).join(',')}],"next_cursor":${JSON.stringify(next)}}`;
  }

  /** One event by id, as its stored canonical JSON. */
  async event(principal: Principal, id: string, raw: RawQuery): Promise<string> {
    requirePermission(principal, 'read');
    const unknown = Object.keys(raw).filter((k) => k !== 'tenant');
    if (unknown.length > 0) throw invalid([{ path: unknown.join(', '), message: 'unknown query parameter' }]);
    const tenant = readTenant(principal, typeof raw.tenant === 'string' ? raw.tenant : undefined);
    const row = await this.store.getEvent(tenant, id);
    if (!row || !canSee(principal, row.body)) throw new VigilError('VIGIL_ERR_NOT_FOUND', `no event with id "${id}"`);
    return row.body;
  }
}

/**
 * What a cursor is bound to: the filter as asked. A relative range stays relative here (its
 * window travels inside the cursor), so page 2 of `range=7d` is the same query as page 1.
 */
function cursorBinding(parsed: ParsedQuery): unknown {
  if (parsed.range === undefined) return { filter: parsed.filter };
  const { fromUs: _from, toUs: _to, ...rest } = parsed.filter;
  return { filter: rest, range: parsed.range };
}

function withWindow(filter: EventFilter, window: { fromUs?: number; toUs?: number }): EventFilter {
  const { fromUs: _from, toUs: _to, ...rest } = filter;
  return { ...rest, ...window };
}

function windowOf(filter: EventFilter): { fromUs?: number; toUs?: number } {
  return {
    ...(filter.fromUs === undefined ? {} : { fromUs: filter.fromUs }),
    ...(filter.toUs === undefined ? {} : { toUs: filter.toUs }),
  };
}

function positionOf(row: EventRow): { occurredUs: number; seq: number } {
  return { occurredUs: row.occurredUs, seq: row.seq };
}
