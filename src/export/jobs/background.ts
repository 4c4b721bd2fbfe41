import type { EventSink } from '../../auth/key-service.js';
import { DEFAULT_RETENTION, loadRetentionConfig, type RetentionConfig } from '../../retention/config.js';
import { RetentionJobHandler } from '../../retention/retention-job.js';
import { RetentionService } from '../../retention/retention-service.js';
import { RetentionScheduler } from '../../retention/scheduler.js';
import type { Store } from '../../store/store.js';
import { DEFAULT_SPLIT_BYTES, loadExportSettings, readConfigFile, type ExportSettings } from '../config.js';
import { ExportJobHandler } from '../export-job.js';
import { ExportService } from '../export-service.js';
import type { CheckpointSource } from '../manifest.js';
import { JobRunner, type JobLogger, type JobRunnerOptions } from './runner.js';

/** Settings of exports and retention; everything is optional (no destinations, keep forever). */
export interface BackgroundOptions {
  exportSettings?: ExportSettings;
  retention?: RetentionConfig;
  runner?: Partial<JobRunnerOptions>;
  logger?: JobLogger;
}

/** The export and retention services and the background work behind them. */
export interface Background {
  exports: ExportService;
  retention: RetentionService;
  runner: JobRunner;
  scheduler: RetentionScheduler;
  /** Starts the job runner and the retention timer. */
  start(): void;
  /** Stops both; a job in progress stays `running` and resumes at the next start. */
  stop(): Promise<void>;
}

/**
 * The options `vigil serve` runs with: destinations and export defaults, and retention settings
 * (VIGIL_CONFIG, VIGIL_EXPORT_DESTINATIONS, VIGIL_RETENTION_*). Throws VIGIL_ERR_VALIDATION
 * naming every bad setting.
 */
export function loadBackgroundOptions(env: Record<string, string | undefined>): BackgroundOptions {
  const file = readConfigFile(env);
  return {
    exportSettings: loadExportSettings(env, file),
    retention: loadRetentionConfig(env, file),
  };
}

export const NO_DESTINATIONS: ExportSettings = { destinations: new Map(), splitBytes: DEFAULT_SPLIT_BYTES };

/**
 * `checkpoint` gives each manifest a signed checkpoint covering its events: the Checkpointer's,
 * so manifests are signed by the one key, after the same consistency check as every checkpoint.
 */
export function buildBackground(store: Store, sink: EventSink, checkpoint: CheckpointSource, options: BackgroundOptions = {}): Background {
  const exportSettings = options.exportSettings ?? NO_DESTINATIONS;
  const retentionConfig = options.retention ?? DEFAULT_RETENTION;
  const runner = new JobRunner(
    store,
    {
      export: new ExportJobHandler(store, exportSettings, checkpoint),
      retention: new RetentionJobHandler(store, sink, exportSettings, checkpoint),
    },
    // SQLite is owned by this one process: whatever is still running was left by a stopped one.
    { exclusive: store.kind === 'sqlite', ...(options.logger ? { logger: options.logger } : {}), ...options.runner },
  );
  const notify = () => runner.notify();
  const exports = new ExportService(store, sink, exportSettings, notify);
  const retention = new RetentionService(store, sink, retentionConfig, exportSettings, notify);
  const scheduler = new RetentionScheduler(retention, retentionConfig.intervalMs, options.logger);
  return {
    exports,
    retention,
    runner,
    scheduler,
    start() {
      runner.start();
      scheduler.start();
    },
    async stop() {
      await scheduler.stop();
      await runner.stop();
    },
  };
}
