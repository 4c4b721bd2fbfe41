import type pg from 'pg';
import { transaction } from './pool.js';

/**
 * Monthly partitions of `events` (RANGE on occurred_us, UTC months).
 *
 * Why on-demand creation and no DEFAULT partition: a row that lands in a DEFAULT partition stays
 * there (events are immutable, so it cannot be moved), and PostgreSQL then refuses to create the
 * month's real partition while the default holds rows of that range. Instead every append first
 * makes sure that the months it writes exist — the current month and the next ones are created
 * ahead, at start and as time passes; a month outside that window (a backfill of old events) is
 * created the moment its first event arrives. No event is ever refused for lack of a partition.
 *
 * Creating a partition briefly locks the parent table, so it runs in its own short transaction,
 * before the append transaction, under an advisory lock that keeps concurrent creators in line.
 */

/** Months kept ready beyond the current one. */
const MONTHS_AHEAD = 2;

/** pg_advisory_xact_lock key held while creating partitions ('VIGL' then 2). */
const PARTITION_LOCK = 0x5649474c_02;

/** A month as a count since January 1970 (0 = 1970-01). */
export type Month = number;

export function monthOf(us: number): Month {
  const date = new Date(Math.floor(us / 1000));
  return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
}

/** First microsecond of the month. */
export function monthStartUs(month: Month): number {
  return Date.UTC(1970 + Math.floor(month / 12), month % 12, 1) * 1000;
}

export function partitionName(month: Month): string {
  const year = 1970 + Math.floor(month / 12);
  return `events_p${year}_${String((month % 12) + 1).padStart(2, '0')}`;
}

const NAME = /^events_p(\d{4})_(\d{2})$/;

function monthOfName(name: string): Month | undefined {
  const m = NAME.exec(name);
  return m ? (Number(m[1]) - 1970) * 12 + Number(m[2]) - 1 : undefined;
}

/**
 * The months that have a partition, as far as this process knows. Another process may add
 * partitions at any time (the cache only misses them, which costs one cheap re-check), and the
 * retention job may drop old ones (an insert then fails with "no partition" and the store
 * reloads this cache and tries again).
 */
export class Partitions {
  private known = new Set<Month>();

  constructor(private readonly pool: pg.Pool) {}

  /** Reads the partitions that exist. */
  async load(): Promise<void> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass`,
    );
    this.known = new Set(rows.map((r) => monthOfName(r.name)).filter((m): m is Month => m !== undefined));
  }

  /** Makes sure that the months of `occurredUs` and the months ahead of now have partitions. */
  async ensure(occurredUs: Iterable<number>, nowUs: number): Promise<void> {
    const wanted = new Set<Month>();
    for (const us of occurredUs) wanted.add(monthOf(us));
    const current = monthOf(nowUs);
    for (let m = current; m <= current + MONTHS_AHEAD; m++) wanted.add(m);
    const missing = [...wanted].filter((m) => !this.known.has(m)).sort((a, b) => a - b);
    if (missing.length > 0) await this.create(missing);
  }

  private async create(months: Month[]): Promise<void> {
    await transaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      const { rows } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'events'::regclass AND c.relname = ANY($1::text[])`,
        [months.map(partitionName)],
      );
      const existing = new Set(rows.map((r) => r.name));
      for (const month of months) {
        const name = partitionName(month);
        if (existing.has(name)) continue;
        // Indexes and row triggers come from the parent; statement triggers do not.
        await client.query(`CREATE TABLE ${name} PARTITION OF events
          FOR VALUES FROM (${monthStartUs(month)}) TO (${monthStartUs(month + 1)})`);
        await client.query(`CREATE TRIGGER ${name}_no_truncate BEFORE TRUNCATE ON ${name}
          FOR EACH STATEMENT EXECUTE FUNCTION vigil_append_only('events')`);
      }
    });
    for (const month of months) this.known.add(month);
  }
}
