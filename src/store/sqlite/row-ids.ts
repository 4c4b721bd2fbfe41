/**
 * The `events` table's row id (migration 8) is the tenant, then the event's seq:
 * `tenant_id × SEQS_PER_TENANT + seq`. A tenant's events are then one run of the table in seq
 * (and so nearly time) order instead of being spread among every other tenant's in arrival
 * order: an export, a proof's leaves or a trail reads neighbouring pages, not one random page
 * per few rows once the store outgrows memory. It also serves as the unique (tenant, seq) key.
 * Row ids are 64-bit: 2^40 events per tenant (a trillion) and 2^23 tenants (8,388,608) per store;
 * past either the insert is refused (the table's CHECK, or a row id beyond 64 bits) rather than
 * letting two tenants' runs meet.
 */
export const SEQS_PER_TENANT = 2 ** 40;

/**
 * SQL for the row id of `seq` in `tenant`, both SQL expressions (placeholders or columns). Cast
 * because better-sqlite3 binds a JavaScript number as REAL, whose arithmetic is exact only up to
 * 2^53 (tenant 8,192).
 */
export function rowIdSql(tenant: string, seq: string): string {
  return `(CAST(${tenant} AS INTEGER) * ${SEQS_PER_TENANT} + CAST(${seq} AS INTEGER))`;
}

/**
 * SQL for a tenant's rows with `from` ≤ seq < `to`, as a range of row ids so that SQLite reads it
 * straight off the table; bounds outside a tenant's seqs are clamped to them. Its parameters:
 * the tenant, `from`, the tenant again, `to`.
 */
export const SEQ_RANGE = `rid >= ${rowIdSql('?', 'max(?, 0)')} AND rid < ${rowIdSql('?', `min(?, ${SEQS_PER_TENANT})`)}`;
