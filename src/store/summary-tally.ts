/**
 * The store-independent half of a summary: counts fed in (from rollup rows or from event rows)
 * accumulate in a tally, which then ranks each group's values, computes per-actor baselines and
 * asks the store only for the names of what it keeps. Both stores use it, so both answer alike.
 */
import { LOGS } from '../domain/event.js';
import { DAY_US, HOUR_US, VALUE_DIMS, type ValueDim } from './rollups.js';
import type {
  ActorBaseline,
  BucketUnit,
  SummaryBucket,
  SummaryCounts,
  SummaryDimension,
  SummaryGroup,
  SummaryQuery,
} from './store.js';

export const BUCKET_US: Record<BucketUnit, number> = { minute: 60_000_000, hour: HOUR_US, day: DAY_US };

/** The first bucket's start (the bucket holding `fromUs`) and how many buckets cover the range. */
export function bucketLayout(fromUs: number, toUs: number, unit: BucketUnit): { firstUs: number; count: number } {
  const size = BUCKET_US[unit];
  const firstUs = Math.floor(fromUs / size) * size;
  return { firstUs, count: Math.max(0, Math.ceil((toUs - firstUs) / size)) };
}

/**
 * Baselines: an actor's events in the last 24 hours before the summary's end (`today`) against
 * its counts on each of the 30 whole UTC days before that window's start. Those days are whole
 * so rollups answer them; the part of a day between the last of them and `today` is in neither.
 * A steady actor has stddev 0, so z divides by at least 1; an actor with no events in the 30
 * days is first seen, and its z is simply `today`.
 */
export const BASELINE = { days: 30, todayUs: DAY_US, flagZ: 3, flagMinToday: 10, minStddev: 1 } as const;

export interface BaselineWindows {
  todayFromUs: number;
  todayToUs: number;
  historyFromUs: number;
  historyToUs: number;
}

export function baselineWindows(toUs: number): BaselineWindows {
  const todayFromUs = toUs - BASELINE.todayUs;
  const historyToUs = Math.floor(todayFromUs / DAY_US) * DAY_US;
  return { todayFromUs, todayToUs: toUs, historyFromUs: historyToUs - BASELINE.days * DAY_US, historyToUs };
}

interface Cell {
  count: number;
  failures: number;
}

function addTo<K>(cells: Map<K, Cell>, key: K, count: number, failures: number): void {
  const cell = cells.get(key);
  if (cell) {
    cell.count += count;
    cell.failures += failures;
  } else cells.set(key, { count, failures });
}

/**
 * An event row as both stores read it for summaries: time, log code, success (1 or 0), then the
 * value id of each of `VALUE_DIMS` (null when absent).
 */
export type EventFactRow = readonly (number | null)[];

/** Totals, buckets and per-dimension counts of one summary, fed from rollups or events. */
export class SummaryTally {
  total = 0;
  failures = 0;
  private readonly bucketCells: Cell[];
  private readonly firstBucketUs: number;
  private readonly bucketUs: number;
  private readonly byLog?: Map<number, Cell>;
  private readonly byOutcome?: Map<string, Cell>;
  private readonly byValue = new Map<ValueDim, Map<number, Cell>>();
  /** Indexes into an EventFactRow of the value dimensions grouped, with their names. */
  private readonly eventColumns: [ValueDim, number][];

  constructor(private readonly query: SummaryQuery) {
    const { fromUs, toUs } = query.filter;
    const layout = query.bucket ? bucketLayout(fromUs, toUs, query.bucket) : { firstUs: 0, count: 0 };
    this.firstBucketUs = layout.firstUs;
    this.bucketUs = query.bucket ? BUCKET_US[query.bucket] : 0;
    this.bucketCells = Array.from({ length: layout.count }, () => ({ count: 0, failures: 0 }));
    if (query.groupBy.includes('log')) this.byLog = new Map();
    if (query.groupBy.includes('outcome')) this.byOutcome = new Map();
    for (const dim of VALUE_DIMS) if (query.groupBy.includes(dim)) this.byValue.set(dim, new Map());
    this.eventColumns = [...this.byValue.keys()].map((dim) => [dim, 3 + VALUE_DIMS.indexOf(dim)]);
  }

  /** Value dimensions this summary groups by. */
  get valueDims(): ValueDim[] {
    return [...this.byValue.keys()];
  }

  /** Events at `atUs` (an event's time, or a rollup row's start) of one log: totals, buckets, log and outcome. */
  addTotal(atUs: number, log: number, count: number, failures: number): void {
    this.total += count;
    this.failures += failures;
    if (this.bucketUs) {
      const cell = this.bucketCells[Math.floor((atUs - this.firstBucketUs) / this.bucketUs)]!;
      cell.count += count;
      cell.failures += failures;
    }
    if (this.byLog) addTo(this.byLog, log, count, failures);
    if (this.byOutcome) {
      if (count > failures) addTo(this.byOutcome, 'success', count - failures, 0);
      if (failures > 0) addTo(this.byOutcome, 'failure', failures, failures);
    }
  }

  /** Events with value `valueId` of `dim`; ignored unless the summary groups by `dim`. */
  addValue(dim: ValueDim, valueId: number, count: number, failures: number): void {
    const cells = this.byValue.get(dim);
    if (cells) addTo(cells, valueId, count, failures);
  }

  addEvent(row: EventFactRow): void {
    const failures = row[2] === 1 ? 0 : 1;
    this.addTotal(row[0]!, row[1]!, 1, failures);
    for (const [dim, column] of this.eventColumns) {
      const id = row[column];
      if (id !== null && id !== undefined) this.addValue(dim, id, 1, failures);
    }
  }

  buckets(): SummaryBucket[] | undefined {
    if (!this.query.bucket) return undefined;
    return this.bucketCells.map((cell, i) => ({ startUs: this.firstBucketUs + i * this.bucketUs, ...cell }));
  }

  /** Each asked group's top entries, in `groupBy` order. */
  async groups(names: SummaryNames): Promise<Partial<Record<SummaryDimension, SummaryGroup[]>>> {
    const out: Partial<Record<SummaryDimension, SummaryGroup[]>> = {};
    for (const dim of this.query.groupBy) {
      if (dim === 'log') out.log = namedTop(this.byLog!, this.query.top, (code) => LOGS[code] ?? String(code));
      else if (dim === 'outcome') out.outcome = namedTop(this.byOutcome!, this.query.top, (key) => key);
      else out[dim] = await valueTop(this.byValue.get(dim)!, this.query.top, dim, names);
    }
    return out;
  }
}

/** How a store names its value ids, asked only for what a summary keeps (batch lookups). */
export interface SummaryNames {
  /** The group key of each id: a term's value, an actor's id, `type:key` of a resource. */
  keys(dim: ValueDim, ids: readonly number[]): Promise<Map<number, string>>;
  /** How people see each id: a term's value, an actor's display form, a resource's path or name. */
  labels(dim: ValueDim, ids: readonly number[]): Promise<Map<number, string>>;
}

const byCountDesc = (a: Cell, b: Cell): number => b.count - a.count;

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The `top` items in `compare` order, ties broken by key. Only the items that can make the cut
 * (everything up to and tied with the top-th) have their keys looked up.
 */
async function topN<T>(
  items: T[],
  top: number,
  compare: (a: T, b: T) => number,
  keysOf: (items: T[]) => Promise<string[]>,
): Promise<{ item: T; key: string }[]> {
  items.sort(compare);
  let candidates = items;
  if (items.length > top) {
    const edge = items[top - 1]!;
    let end = top;
    while (end < items.length && compare(items[end]!, edge) === 0) end++;
    candidates = items.slice(0, end);
  }
  const keys = await keysOf(candidates);
  const keyed = candidates.map((item, i) => ({ item, key: keys[i]! }));
  keyed.sort((a, b) => compare(a.item, b.item) || compareKeys(a.key, b.key));
  return keyed.slice(0, top);
}

function entry(key: string, label: string, cell: Cell): SummaryGroup {
  return { key, label, count: cell.count, failures: cell.failures };
}

function namedTop<K>(cells: Map<K, Cell>, top: number, name: (key: K) => string): SummaryGroup[] {
  const entries = [...cells].map(([key, cell]) => ({ name: name(key), cell }));
  entries.sort((a, b) => byCountDesc(a.cell, b.cell) || compareKeys(a.name, b.name));
  return entries.slice(0, top).map((e) => entry(e.name, e.name, e.cell));
}

async function valueTop(cells: Map<number, Cell>, top: number, dim: ValueDim, names: SummaryNames): Promise<SummaryGroup[]> {
  const items = [...cells].map(([id, cell]) => ({ id, cell }));
  const ranked = await topN(items, top, (a, b) => byCountDesc(a.cell, b.cell), async (list) => {
    const keys = await names.keys(dim, list.map((i) => i.id));
    return list.map((i) => keys.get(i.id)!);
  });
  const labels = await names.labels(dim, ranked.map((r) => r.item.id));
  return ranked.map((r) => entry(r.key, labels.get(r.item.id)!, r.item.cell));
}

/** Rounds a statistic or rate for output, to 4 decimals: enough for people, stable in tests. */
export const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** One actor's counts: today, and the sum and sum of squares of its daily counts before. */
interface ActorMoments {
  today: number;
  sum: number;
  squares: number;
  /** Daily counts, while they are added event by event (a scan); folded into sum and squares at the end. */
  days?: number[];
}

/** Per-actor counts in the baseline windows, fed from rollups or events. */
export class BaselineTally {
  readonly windows: BaselineWindows;
  private readonly actors = new Map<number, ActorMoments>();

  constructor(toUs: number) {
    this.windows = baselineWindows(toUs);
  }

  private actor(id: number): ActorMoments {
    let actor = this.actors.get(id);
    if (!actor) this.actors.set(id, (actor = { today: 0, sum: 0, squares: 0 }));
    return actor;
  }

  addToday(actorId: number, count: number): void {
    this.actor(actorId).today += count;
  }

  /** The moments of an actor's daily counts over the history window (days without events count as 0). */
  addHistory(actorId: number, sum: number, squares: number): void {
    const actor = this.actor(actorId);
    actor.sum += sum;
    actor.squares += squares;
  }

  /** One event of an actor at `atUs`: today, a day of the history, or neither. */
  addEvent(actorId: number, atUs: number): void {
    const w = this.windows;
    if (atUs >= w.todayFromUs && atUs < w.todayToUs) this.addToday(actorId, 1);
    else if (atUs >= w.historyFromUs && atUs < w.historyToUs) {
      const actor = this.actor(actorId);
      (actor.days ??= new Array<number>(BASELINE.days).fill(0))[Math.floor((atUs - w.historyFromUs) / DAY_US)]! += 1;
    }
  }

  /** The `top` actors by z (then today's count, then id), with their display labels. */
  async rank(top: number, names: SummaryNames): Promise<ActorBaseline[]> {
    const stats = [...this.actors].map(([id, a]) => ({ id, ...statistics(a) }));
    const compare = (a: (typeof stats)[number], b: (typeof stats)[number]) => b.z - a.z || b.today - a.today;
    const ranked = await topN(stats, top, compare, async (list) => {
      const keys = await names.keys('actor', list.map((s) => s.id));
      return list.map((s) => keys.get(s.id)!);
    });
    const labels = await names.labels('actor', ranked.map((r) => r.item.id));
    return ranked.map(({ item, key }) => ({
      actorId: key,
      label: labels.get(item.id)!,
      today: item.today,
      mean: item.mean,
      stddev: item.stddev,
      z: item.z,
      flagged: item.flagged,
    }));
  }
}

function statistics(a: ActorMoments): { today: number; mean: number; stddev: number; z: number; flagged: boolean } {
  const n = BASELINE.days;
  const sum = a.sum + (a.days?.reduce((s, d) => s + d, 0) ?? 0);
  const squares = a.squares + (a.days?.reduce((s, d) => s + d * d, 0) ?? 0);
  const mean = sum / n;
  // Population variance from integer moments: exact until the division.
  const stddev = Math.sqrt(Math.max(0, n * squares - sum * sum)) / n;
  const z = round4((a.today - mean) / Math.max(stddev, BASELINE.minStddev));
  const firstSeen = sum === 0;
  const flagged = a.today >= BASELINE.flagMinToday && (firstSeen || z >= BASELINE.flagZ);
  return { today: a.today, mean: round4(mean), stddev: round4(stddev), z, flagged };
}

/** Assembles what `Store.summarize` returns from its tallies. */
export async function summaryCounts(
  tally: SummaryTally,
  baseline: BaselineTally | undefined,
  names: SummaryNames,
  plan: SummaryCounts['plan'],
  top: number,
): Promise<SummaryCounts> {
  const buckets = tally.buckets();
  return {
    count: tally.total,
    failures: tally.failures,
    ...(buckets ? { buckets } : {}),
    groups: await tally.groups(names),
    ...(baseline ? { baselines: await baseline.rank(top, names) } : {}),
    plan,
  };
}

