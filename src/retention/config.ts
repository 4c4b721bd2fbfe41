import { invalid, type FieldIssue } from '../domain/errors.js';
import { readConfigFile } from '../export/config.js';

/** The retention presets of DESIGN.md §7, in days (90 days, 1, 3 and 7 years); any whole number ≥ 1 is allowed. */
export const RETENTION_PRESETS = [90, 365, 1095, 2555] as const;
export const MAX_RETENTION_DAYS = 36_500;

/** Platform-wide retention settings. */
export interface RetentionConfig {
  /** Days kept for tenants without their own policy; null keeps events forever. */
  defaultDays: number | null;
  /** How often the scheduler looks for expired events. */
  intervalMs: number;
  /** Events deleted per purge transaction. */
  batchSize: number;
}

export const DEFAULT_RETENTION: RetentionConfig = { defaultDays: null, intervalMs: 3_600_000, batchSize: 5_000 };

type Env = Record<string, string | undefined>;

/**
 * Reads the `retention` section of `VIGIL_CONFIG` (`default_days`, `interval_seconds`,
 * `batch_size`); `VIGIL_RETENTION_DAYS` and `VIGIL_RETENTION_INTERVAL_SECONDS` override it.
 */
export function loadRetentionConfig(env: Env, file: Record<string, unknown> = readConfigFile(env)): RetentionConfig {
  const section = (typeof file.retention === 'object' && file.retention !== null ? file.retention : {}) as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const read = (envName: string, key: string, min: number, max: number): number | undefined => {
    const fromEnv = env[envName]?.trim();
    const value: unknown = fromEnv ? Number(fromEnv) : section[key];
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      issues.push({ path: fromEnv ? envName : `retention.${key}`, message: `must be a whole number from ${min} to ${max}` });
      return undefined;
    }
    return value as number;
  };
  const days = read('VIGIL_RETENTION_DAYS', 'default_days', 1, MAX_RETENTION_DAYS);
  const interval = read('VIGIL_RETENTION_INTERVAL_SECONDS', 'interval_seconds', 1, 7 * 86_400);
  const batch = read('VIGIL_RETENTION_BATCH_SIZE', 'batch_size', 1, 100_000);
  if (issues.length > 0) throw invalid(issues);
  return {
    defaultDays: days ?? DEFAULT_RETENTION.defaultDays,
    intervalMs: interval === undefined ? DEFAULT_RETENTION.intervalMs : interval * 1000,
    batchSize: batch ?? DEFAULT_RETENTION.batchSize,
  };
}
