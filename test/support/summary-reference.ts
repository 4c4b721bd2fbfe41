import { actorDisplay } from '../../src/domain/actor.js';
import type { PreparedEvent } from '../../src/domain/event.js';
import { parseTimeMicros } from '../../src/domain/time.js';
import type { ActorBaseline, SummaryCounts, SummaryDimension, SummaryGroup, SummaryQuery } from '../../src/store/store.js';

/**
 * A deliberately simple summary over a list of events, written from the API's definition and
 * nothing of the stores: the reference the rollup and scan paths are checked against. It
 * understands the filter fields the summary tests use.
 */
export function referenceSummary(events: readonly PreparedEvent[], q: Omit<SummaryQuery, 'maxScanRows'>): Omit<SummaryCounts, 'plan'> {
  const f = q.filter;
  const tenantEvents = events.filter((e) => e.tenant === q.tenant);
  const matching = tenantEvents.filter((e) => matches(e, { ...f, fromUs: undefined, toUs: undefined }));
  const inRange = matching.filter((e) => within(e, f.fromUs, f.toUs));
  const out: Omit<SummaryCounts, 'plan'> = {
    count: inRange.length,
    failures: inRange.filter((e) => !e.outcome.success).length,
    groups: {},
  };
  if (q.bucket) {
    const size = { minute: 60e6, hour: 3600e6, day: 86400e6 }[q.bucket];
    out.buckets = [];
    for (let start = Math.floor(f.fromUs / size) * size; start < f.toUs; start += size) {
      const inBucket = inRange.filter((e) => within(e, start, start + size));
      out.buckets.push({ startUs: start, count: inBucket.length, failures: inBucket.filter((e) => !e.outcome.success).length });
    }
  }
  for (const dim of q.groupBy) out.groups[dim] = group(inRange, tenantEvents, dim, q.top);
  if (q.baseline) out.baselines = baselines(matching, tenantEvents, f.toUs, q.top);
  return out;
}

const DAY = 86400e6;
const ts = (e: PreparedEvent): number => parseTimeMicros(e.occurred_at)!;
const within = (e: PreparedEvent, from: number, to: number): boolean => ts(e) >= from && ts(e) < to;

function matches(e: PreparedEvent, f: SummaryQuery['filter'] | Partial<SummaryQuery['filter']>): boolean {
  if (f.log && !f.log.includes(e.log)) return false;
  if (f.success !== undefined && e.outcome.success !== f.success) return false;
  const actionOk = (f.action ?? []).includes(e.action) || (f.actionPrefix ?? []).some((p) => e.action.startsWith(p));
  if ((f.action || f.actionPrefix) && !actionOk) return false;
  if (f.actorId && !f.actorId.includes(e.actor.id)) return false;
  if (f.category && !f.category.includes(e.category)) return false;
  if (f.resourceType && !f.resourceType.includes(e.resource?.type ?? '')) return false;
  if (f.source && !f.source.includes(e.source!)) return false;
  if (f.status && !f.status.includes(e.outcome.status ?? -1)) return false;
  return true;
}

function valueOf(e: PreparedEvent, dim: SummaryDimension): string | undefined {
  switch (dim) {
    case 'actor':
      return e.actor.id;
    case 'resource':
      return e.resource ? `${e.resource.type}:${e.resource.id ?? e.resource.path ?? e.resource.name}` : undefined;
    case 'outcome':
      return e.outcome.success ? 'success' : 'failure';
    default:
      return e[dim];
  }
}

/** The label of a value: its display as the latest event with it (all events, any time) shows it. */
function labelOf(all: readonly PreparedEvent[], dim: SummaryDimension, key: string): string {
  if (dim !== 'actor' && dim !== 'resource') return key;
  const latest = [...all].filter((e) => valueOf(e, dim) === key).sort((a, b) => ts(a) - ts(b)).pop()!;
  if (dim === 'actor') return actorDisplay(latest.actor);
  const r = latest.resource!;
  return r.path ?? r.name ?? r.id!;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function group(events: PreparedEvent[], all: PreparedEvent[], dim: SummaryDimension, top: number): SummaryGroup[] {
  const cells = new Map<string, { count: number; failures: number }>();
  for (const e of events) {
    const key = valueOf(e, dim);
    if (key === undefined) continue;
    const cell = cells.get(key) ?? { count: 0, failures: 0 };
    cell.count++;
    if (!e.outcome.success) cell.failures++;
    cells.set(key, cell);
  }
  return [...cells]
    .sort(([ka, a], [kb, b]) => b.count - a.count || byKey(ka, kb))
    .slice(0, top)
    .map(([key, cell]) => ({ key, label: labelOf(all, dim, key), ...cell }));
}

function baselines(events: PreparedEvent[], all: PreparedEvent[], toUs: number, top: number): ActorBaseline[] {
  const todayFrom = toUs - DAY;
  const historyTo = Math.floor(todayFrom / DAY) * DAY;
  const historyFrom = historyTo - 30 * DAY;
  const actors = new Set(events.filter((e) => within(e, historyFrom, historyTo) || within(e, todayFrom, toUs)).map((e) => e.actor.id));
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const rows = [...actors].map((id) => {
    const mine = events.filter((e) => e.actor.id === id);
    const today = mine.filter((e) => within(e, todayFrom, toUs)).length;
    const days = Array.from({ length: 30 }, (_, d) => mine.filter((e) => within(e, historyFrom + d * DAY, historyFrom + (d + 1) * DAY)).length);
    const sum = days.reduce((s, x) => s + x, 0);
    const mean = sum / 30;
    const stddev = Math.sqrt(30 * days.reduce((s, x) => s + x * x, 0) - sum * sum) / 30;
    const z = round((today - mean) / Math.max(stddev, 1));
    const firstSeen = days.every((x) => x === 0);
    return {
      actorId: id,
      label: labelOf(all, 'actor', id),
      today,
      mean: round(mean),
      stddev: round(stddev),
      z,
      flagged: today >= 10 && (firstSeen || z >= 3),
    };
  });
  return rows.sort((a, b) => b.z - a.z || b.today - a.today || byKey(a.actorId, b.actorId)).slice(0, top);
}
