import type { JobLogger } from '../export/jobs/runner.js';
import type { RetentionService } from './retention-service.js';

/**
 * Enforces retention on a timer: at start and then every `intervalMs` it queues a run for each
 * tenant with expired events (the job runner does the work, one job at a time). Looking at start
 * too means a server restarted more often than the interval still enforces retention. The timer
 * does not keep the process alive.
 */
export class RetentionScheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly retention: RetentionService,
    private readonly intervalMs: number,
    private readonly logger?: JobLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** One look for expired events; ticks never overlap. */
  tick(): Promise<void> {
    this.ticking ??= this.retention
      .enqueueDue()
      .then((jobs) => {
        if (jobs.length > 0) this.logger?.info({ tenants: jobs.map((j) => j.tenant) }, 'retention runs queued');
      })
      .catch((err: unknown) => this.logger?.error({ err }, 'retention: cannot queue runs'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }
}
