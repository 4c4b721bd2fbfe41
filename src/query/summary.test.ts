import { describe, expect, it } from 'vitest';
import { VigilError } from '../domain/errors.js';
import { parseTimeMicros } from '../domain/time.js';
import type { SummaryCounts } from '../store/store.js';
import { parseSummaryQuery, summaryResponse, type ParsedSummary } from './summary.js';
import type { RawQuery } from './parse-filters.js';

const NOW = parseTimeMicros('2026-11-21T15:00:00Z')!;
const HOUR = 3600e6;

function issuesOf(raw: RawQuery): { path: string; message: string }[] {
  try {
    parseSummaryQuery(raw, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('VIGIL_ERR_VALIDATION');
    return (err as VigilError).issues ?? [];
  }
  throw new Error('expected a validation error');
}

describe('parseSummaryQuery', () => {
  it('defaults to the 24 hours before now, no groups, top 10', () => {
    expect(parseSummaryQuery({}, NOW)).toEqual({
      query: { filter: { fromUs: NOW - 24 * HOUR, toUs: NOW }, groupBy: [], top: 10, baseline: false },
    });
  });

  it('reads group_by, bucket, top and baseline beside every filter of the logs listing', () => {
    const parsed = parseSummaryQuery(
      {
        range: '30d',
        group_by: ['action,actor', 'log', 'action'],
        bucket: 'day',
        top: '25',
        baseline: 'actor',
        log: 'audit',
        action: 'secret.*',
        success: 'false',
        tenant: 'acme',
      },
      NOW,
    );
    expect(parsed).toEqual({
      query: {
        filter: { fromUs: NOW - 30 * 24 * HOUR, toUs: NOW, log: ['audit'], actionPrefix: ['secret.'], success: false },
        groupBy: ['action', 'actor', 'log'],
        bucket: 'day',
        top: 25,
        baseline: true,
      },
      tenant: 'acme',
    });
  });

  it('takes from and to, and from alone runs to now', () => {
    const from = parseTimeMicros('2026-11-20T00:00:00Z')!;
    const to = parseTimeMicros('2026-11-21T00:00:00Z')!;
    expect(parseSummaryQuery({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z' }, NOW).query.filter).toEqual({ fromUs: from, toUs: to });
    expect(parseSummaryQuery({ from: '2026-11-20T00:00:00Z' }, NOW).query.filter).toEqual({ fromUs: from, toUs: NOW });
    expect(parseSummaryQuery({ to: '2026-11-21T00:00:00Z' }, NOW).query.filter).toEqual({ fromUs: to - 24 * HOUR, toUs: to });
  });

  it('names every bad parameter at once', () => {
    expect(issuesOf({ group_by: 'action,color', bucket: 'week', top: '0', baseline: 'resource', limit: '5', colour: 'red' })).toEqual([
      { path: 'limit', message: 'is not a summary parameter' },
      { path: 'colour', message: 'unknown query parameter' },
      { path: 'group_by', message: expect.stringContaining('"color" is not one of action, category, actor') },
      { path: 'bucket', message: '"week" is not one of minute, hour, day' },
      { path: 'top', message: 'must be an integer from 1 to 100, got "0"' },
      { path: 'baseline', message: '"resource" is not a baseline; the one kind is actor' },
    ]);
    expect(issuesOf({ top: '101' })).toEqual([{ path: 'top', message: 'must be an integer from 1 to 100, got "101"' }]);
    expect(issuesOf({ bucket: ['day', 'hour'] })).toEqual([{ path: 'bucket', message: 'takes one value' }]);
  });

  it('refuses more than 2,000 buckets, an empty range and one longer than 400 days', () => {
    expect(issuesOf({ range: '2d', bucket: 'minute' })).toEqual([
      { path: 'bucket', message: 'minute buckets over this range would be 2880, more than 2000: use a coarser bucket or a shorter range' },
    ]);
    expect(parseSummaryQuery({ range: '33h', bucket: 'minute' }, NOW).query.bucket).toBe('minute');
    expect(issuesOf({ from: '2026-11-22T00:00:00Z' })).toEqual([{ path: 'from', message: 'must be earlier than 2026-11-21T15:00:00.000000Z' }]);
    expect(issuesOf({ range: '401d' })).toEqual([{ path: 'from', message: 'a summary covers at most 400 days' }]);
  });
});

describe('summaryResponse', () => {
  it('writes ISO times, failure rates and the API’s field names', () => {
    const query: ParsedSummary['query'] = { filter: { fromUs: NOW - HOUR, toUs: NOW }, groupBy: ['actor'], bucket: 'hour', top: 10, baseline: true };
    const counts: SummaryCounts = {
      count: 3,
      failures: 1,
      buckets: [{ startUs: NOW - HOUR, count: 3, failures: 1 }],
      groups: { actor: [{ key: 'u_1', label: 'alice@acme.example', count: 3, failures: 1 }] },
      baselines: [{ actorId: 'u_1', label: 'alice@acme.example', today: 3, mean: 0, stddev: 0, z: 3, flagged: false }],
      plan: { counts: 'rollup', baselines: 'rollup' },
    };
    expect(summaryResponse(query, counts)).toEqual({
      from: '2026-11-21T14:00:00.000000Z',
      to: '2026-11-21T15:00:00.000000Z',
      total: 3,
      failures: 1,
      failure_rate: 0.3333,
      buckets: [{ start: '2026-11-21T14:00:00.000000Z', count: 3, failures: 1 }],
      groups: { actor: [{ key: 'u_1', label: 'alice@acme.example', count: 3, failures: 1, failure_rate: 0.3333 }] },
      baselines: [{ actor: 'alice@acme.example', actor_id: 'u_1', today: 3, mean: 0, stddev: 0, z: 3, flagged: false }],
    });
    const empty = summaryResponse({ ...query, bucket: undefined as never, baseline: false }, { count: 0, failures: 0, groups: {}, plan: { counts: 'rollup' } });
    expect(empty).toEqual({ from: '2026-11-21T14:00:00.000000Z', to: '2026-11-21T15:00:00.000000Z', total: 0, failures: 0, failure_rate: 0, groups: {} });
  });
});
