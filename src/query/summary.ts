import { narrowFilter } from '../auth/narrowing.js';
import { readTenant, requirePermission, type Principal } from '../auth/principal.js';
import { invalid, VigilError, type FieldIssue } from '../domain/errors.js';
import { formatMicros, nowMicros } from '../domain/time.js';
import { DAY_US } from '../store/rollups.js';
import {
  BUCKET_UNITS,
  SUMMARY_DIMENSIONS,
  type Summaries,
  type SummaryCounts,
  type SummaryDimension,
  type SummaryQuery,
} from '../store/store.js';
import { bucketLayout, round4 } from '../store/summary-tally.js';
import { parseQuery, type RawQuery } from './parse-filters.js';

export const DEFAULT_TOP = 10;
export const MAX_TOP = 100;
export const MAX_BUCKETS = 2000;
/** The window when neither `from` nor `range` is given: the 24 hours before `to`. */
export const DEFAULT_WINDOW_US = DAY_US;
/** The longest range one summary covers (day rollups keep it fast; longer would want month rollups). */
export const MAX_WINDOW_US = 400 * DAY_US;
/** Event rows a summary may read where rollups cannot answer (docs/architecture.md "Summaries"). */
export const DEFAULT_MAX_SCAN_ROWS = 2_000_000;

/** Parameters of the logs listing that mean nothing for a summary. */
const PAGE_ONLY = ['limit', 'cursor', 'order'];

/** A summary request, validated: the store query without the tenant, and the tenant a platform key names. */
export interface ParsedSummary {
  query: Omit<SummaryQuery, 'tenant' | 'maxScanRows'>;
  tenant?: string;
}

export interface GroupEntry {
  key: string;
  label: string;
  count: number;
  failures: number;
  failure_rate: number;
}

export interface BaselineEntry {
  actor: string;
  actor_id: string;
  today: number;
  mean: number;
  stddev: number;
  z: number;
  flagged: boolean;
}

/** The body of `GET /v1/audit/summary` (docs/api.md "Summary"); the dashboard relies on this shape. */
export interface SummaryResponse {
  from: string;
  to: string;
  total: number;
  failures: number;
  failure_rate: number;
  buckets?: { start: string; count: number; failures: number }[];
  groups: Partial<Record<SummaryDimension, GroupEntry[]>>;
  baselines?: BaselineEntry[];
}

export interface SummaryServiceOptions {
  maxScanRows?: number;
  now?: () => number;
}

/** The summary read path: checks the caller may read, parses the request, asks the store, shapes the answer. */
export class SummaryService {
  private readonly maxScanRows: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Summaries,
    options: SummaryServiceOptions = {},
  ) {
    this.maxScanRows = options.maxScanRows ?? DEFAULT_MAX_SCAN_ROWS;
    this.now = options.now ?? nowMicros;
  }

  async summary(principal: Principal, raw: RawQuery): Promise<SummaryResponse> {
    requirePermission(principal, 'read');
    const parsed = parseSummaryQuery(raw, this.now());
    const tenant = readTenant(principal, parsed.tenant);
    const filter = narrowFilter(principal, parsed.query.filter);
    const counts = await this.store.summarize({ ...parsed.query, filter, tenant, maxScanRows: this.maxScanRows });
    return summaryResponse(parsed.query, counts);
  }
}

/**
 * Parses a summary's query string: every filter of the logs listing (parse-filters.ts) plus
 * `group_by`, `bucket`, `top` and `baseline`. Every problem is reported at once, each naming its
 * parameter. The range defaults to the 24 hours before `to` (default now).
 */
export function parseSummaryQuery(raw: RawQuery, nowUs: number): ParsedSummary {
  const issues: FieldIssue[] = [];
  const { group_by, bucket, top, baseline, ...rest } = raw;
  for (const name of PAGE_ONLY) {
    if (rest[name] !== undefined) issues.push({ path: name, message: 'is not a summary parameter' });
    delete rest[name];
  }
  const filters = parseFiltersInto(rest, nowUs, issues);
  const groupBy = parseGroupBy(group_by, issues);
  const unit = parseOne(bucket, 'bucket', issues, (v, report) => oneOf(v, BUCKET_UNITS, report));
  const topN = parseOne(top, 'top', issues, (v, report) =>
    /^\d{1,3}$/.test(v) && +v >= 1 && +v <= MAX_TOP ? +v : report(`must be an integer from 1 to ${MAX_TOP}, got "${v}"`),
  );
  const withBaseline = parseOne(baseline, 'baseline', issues, (v, report) =>
    v === 'actor' ? true : report(`"${v}" is not a baseline; the one kind is actor`),
  );
  if (!filters) throw invalid(issues);
  const toUs = filters.filter.toUs ?? nowUs;
  const fromUs = filters.filter.fromUs ?? toUs - DEFAULT_WINDOW_US;
  if (fromUs >= toUs) issues.push({ path: 'from', message: `must be earlier than ${formatMicros(toUs)}` });
  else if (toUs - fromUs > MAX_WINDOW_US) issues.push({ path: 'from', message: `a summary covers at most ${MAX_WINDOW_US / DAY_US} days` });
  else if (unit && bucketLayout(fromUs, toUs, unit).count > MAX_BUCKETS) {
    const { count } = bucketLayout(fromUs, toUs, unit);
    issues.push({ path: 'bucket', message: `${unit} buckets over this range would be ${count}, more than ${MAX_BUCKETS}: use a coarser bucket or a shorter range` });
  }
  if (issues.length > 0) throw invalid(issues);
  return {
    query: {
      filter: { ...filters.filter, fromUs, toUs },
      groupBy,
      ...(unit ? { bucket: unit } : {}),
      top: topN ?? DEFAULT_TOP,
      baseline: withBaseline ?? false,
    },
    ...(filters.tenant === undefined ? {} : { tenant: filters.tenant }),
  };
}

/** The filters of the logs listing, or null with their problems added to `issues`. */
function parseFiltersInto(raw: RawQuery, nowUs: number, issues: FieldIssue[]): ReturnType<typeof parseQuery> | null {
  try {
    return parseQuery(raw, nowUs);
  } catch (err) {
    if (!(err instanceof VigilError) || !err.issues) throw err;
    issues.push(...err.issues);
    return null;
  }
}

/** Texts of one parameter: repeated parameters arrive as arrays, lists may be comma-separated. */
function texts(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

function parseGroupBy(value: unknown, issues: FieldIssue[]): SummaryDimension[] {
  if (value === undefined) return [];
  const dims = texts(value).flatMap((t) => t.split(','));
  const bad = dims.filter((d) => !(SUMMARY_DIMENSIONS as readonly string[]).includes(d));
  for (const d of bad) issues.push({ path: 'group_by', message: `"${d}" is not one of ${SUMMARY_DIMENSIONS.join(', ')}` });
  return [...new Set(dims.filter((d) => !bad.includes(d)))] as SummaryDimension[];
}

/** Reports a problem with the parameter being read; returns undefined for the caller to return. */
type Report = (message: string) => undefined;

/** A single-valued parameter through `read`, which returns its value or reports what is wrong. */
function parseOne<T>(value: unknown, path: string, issues: FieldIssue[], read: (text: string, report: Report) => T | undefined): T | undefined {
  if (value === undefined) return undefined;
  const report: Report = (message) => void issues.push({ path, message });
  const all = texts(value);
  return all.length === 1 ? read(all[0]!, report) : report('takes one value');
}

function oneOf<T extends string>(text: string, allowed: readonly T[], report: Report): T | undefined {
  return (allowed as readonly string[]).includes(text) ? (text as T) : report(`"${text}" is not one of ${allowed.join(', ')}`);
}

const rate = (count: number, failures: number): number => (count === 0 ? 0 : round4(failures / count));

/** The response body: ISO times, failure rates, and the field names of the API. */
export function summaryResponse(query: ParsedSummary['query'], counts: SummaryCounts): SummaryResponse {
  const groups: SummaryResponse['groups'] = {};
  for (const [dim, entries] of Object.entries(counts.groups) as [SummaryDimension, SummaryCounts['groups'][SummaryDimension]][]) {
    groups[dim] = entries!.map((g) => ({ key: g.key, label: g.label, count: g.count, failures: g.failures, failure_rate: rate(g.count, g.failures) }));
  }
  return {
    from: formatMicros(query.filter.fromUs),
    to: formatMicros(query.filter.toUs),
    total: counts.count,
    failures: counts.failures,
    failure_rate: rate(counts.count, counts.failures),
    ...(counts.buckets ? { buckets: counts.buckets.map((b) => ({ start: formatMicros(b.startUs), count: b.count, failures: b.failures })) } : {}),
    groups,
    ...(counts.baselines
      ? {
          baselines: counts.baselines.map((b) => ({
            actor: b.label,
            actor_id: b.actorId,
            today: b.today,
            mean: b.mean,
            stddev: b.stddev,
            z: b.z,
            flagged: b.flagged,
          })),
        }
      : {}),
  };
}

