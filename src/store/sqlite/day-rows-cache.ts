/** One day's rollup rows of one tenant and dimension, every log added up: parallel columns. */
export interface DayRows {
  valueIds: Float64Array;
  counts: Float64Array;
  failures: Float64Array;
}

/**
 * Day rows of every log (`DAY_ALL_LOGS`), per tenant, dimension and day, held in memory. A
 * dashboard's 30-day summary adds up 31 days of every actor's day rows for its top actors and
 * baselines — 127,000 rows for the largest tenant at 10,000,000 events, most of the summary's
 * time when SQL reads and groups them again on every request — and a past day's rows change only
 * when a late event arrives for it. So a day is read once and kept until the store writes rollups
 * of that day again (`drop`, from the rollup writer, inside the write's transaction: dropping is
 * always safe, even if the transaction then rolls back). Bounded by the rows held: the least
 * recently read days go first.
 */
export class DayRowsCache {
  private readonly days = new Map<string, DayRows>();
  private rows = 0;

  constructor(private readonly maxRows: number) {}

  get(tenantId: number, dim: number, dayHour: number): DayRows | undefined {
    const key = dayKey(tenantId, dim, dayHour);
    const day = this.days.get(key);
    if (day) {
      // A Map iterates in insertion order: re-inserting makes this day the most recent.
      this.days.delete(key);
      this.days.set(key, day);
    }
    return day;
  }

  set(tenantId: number, dim: number, dayHour: number, day: DayRows): void {
    this.drop(tenantId, dim, dayHour);
    if (day.valueIds.length > this.maxRows) return;
    this.days.set(dayKey(tenantId, dim, dayHour), day);
    this.rows += day.valueIds.length;
    for (const [key, oldest] of this.days) {
      if (this.rows <= this.maxRows) break;
      this.days.delete(key);
      this.rows -= oldest.valueIds.length;
    }
  }

  drop(tenantId: number, dim: number, dayHour: number): void {
    const key = dayKey(tenantId, dim, dayHour);
    const day = this.days.get(key);
    if (!day) return;
    this.days.delete(key);
    this.rows -= day.valueIds.length;
  }

  /** Rows held, for tests of the bound. */
  get size(): number {
    return this.rows;
  }
}

const dayKey = (tenantId: number, dim: number, dayHour: number): string => `${tenantId}:${dim}:${dayHour}`;
