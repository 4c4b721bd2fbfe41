import { randomBytes } from 'node:crypto';
import type { JobKind, JobRecord, Store } from '../../store/store.js';

/** What a handler gets while it runs one job. */
export interface JobContext {
  job: JobRecord;
  /** Aborted when the runner stops (the job stays `running` and resumes at the next start) or loses the job. */
  signal: AbortSignal;
  /** Persists how far the job got (JSON), so that a restart resumes from there. Throws if the job was lost. */
  save(progress: unknown): Promise<void>;
}

/** Runs jobs of one kind. Returns the result document; throws to fail the job with that message. */
export interface JobHandler {
  run(context: JobContext): Promise<unknown>;
}

/** A failure whose message is meant for the job's owner as is (no stack, no internals). */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
}

/** The minimal logger the runner writes to (pino and Fastify's logger fit). */
export interface JobLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JobRunnerOptions {
  /**
   * True when this process is the only one using the store (SQLite): a job still `running` from
   * before this runner started was left by a stopped process and is taken over at once.
   * False (PostgreSQL, several processes): it is taken over once its heartbeat is older than
   * `leaseMs`.
   */
  exclusive: boolean;
  leaseMs?: number;
  /** How often an idle runner looks for work it was not told about (other processes' jobs). */
  pollMs?: number;
  /** A job taken this many times without finishing (crashes mid-job) fails instead of looping. */
  maxAttempts?: number;
  logger?: JobLogger;
}

/**
 * Runs background jobs one at a time. Jobs live in the store: a job is `pending` until a runner
 * claims it, `running` while a runner holds it (heartbeats prove it is alive), and ends
 * `completed` with a result or `failed` with a reason — never both, never silently: a job whose
 * runner died is resumed by the next runner from its last saved progress, and one that keeps
 * dying fails with that reason.
 */
export class JobRunner {
  readonly owner = `runner-${randomBytes(6).toString('hex')}`;
  private readonly startedAt = new Date();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private current: AbortController | null = null;

  constructor(
    private readonly store: Store,
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
    private readonly options: JobRunnerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  /** Starts the background loop. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.runLoop();
  }

  /** Tells an idle runner that a job was created. */
  notify(): void {
    this.wake?.();
  }

  /** Stops the loop; a job in progress is interrupted and stays `running`, to resume at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.current?.abort(new Error('the job runner is stopping'));
    this.notify();
    await this.loop;
    this.loop = null;
  }

  /** Runs claimable jobs until none is left (the CLI and tests); returns how many ran. */
  async runPending(): Promise<number> {
    let n = 0;
    while (!this.stopping && (await this.runOne())) n++;
    return n;
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let ran = false;
      try {
        ran = await this.runOne();
      } catch (err) {
        this.options.logger?.error({ err }, 'job runner: cannot claim a job');
      }
      if (!ran && !this.stopping) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /** Claims one job and runs it to its end (or to the runner's stop). False when there was none. */
  private async runOne(): Promise<boolean> {
    const now = new Date();
    const staleBefore = this.options.exclusive ? this.startedAt : new Date(now.getTime() - this.leaseMs);
    const job = await this.store.claimJob(this.owner, staleBefore.toISOString(), now.toISOString());
    if (!job) return false;
    const handler = this.handlers[job.kind];
    if (!handler) return this.finish(job, { state: 'failed', error: `no handler for jobs of kind ${job.kind}` });
    if (job.attempts > this.maxAttempts) {
      return this.finish(job, {
        state: 'failed',
        error: `interrupted ${job.attempts - 1} times without finishing; not retried again. Start a new job.`,
      });
    }
    if (job.attempts > 1) this.options.logger?.info({ job: job.id, attempt: job.attempts }, 'resuming an interrupted job');
    await this.execute(job, handler);
    return true;
  }

  private async execute(job: JobRecord, handler: JobHandler): Promise<void> {
    const controller = new AbortController();
    this.current = controller;
    const lost = () => controller.abort(new JobFailure('another runner took the job over'));
    const beat = setInterval(() => {
      this.store.updateJob(job.id, this.owner, { at: new Date().toISOString() }).then((held) => held || lost(), () => undefined);
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    try {
      const result = await handler.run({
        job,
        signal: controller.signal,
        save: async (progress) => {
          const held = await this.store.updateJob(job.id, this.owner, { progress: JSON.stringify(progress), at: new Date().toISOString() });
          if (!held) {
            lost();
            throw new JobFailure('another runner took the job over');
          }
        },
      });
      await this.finish(job, { state: 'completed', result: JSON.stringify(result ?? null) });
    } catch (err) {
      if (controller.signal.aborted) {
        // Stopped or taken over: the job is not ours to end; its progress is saved.
        this.options.logger?.info({ job: job.id, reason: String(controller.signal.reason) }, 'job interrupted');
      } else {
        this.options.logger?.error({ job: job.id, err }, 'job failed');
        await this.finish(job, { state: 'failed', error: failureMessage(err) });
      }
    } finally {
      clearInterval(beat);
      this.current = null;
    }
  }

  private async finish(job: JobRecord, end: { state: 'completed' | 'failed'; result?: string; error?: string }): Promise<boolean> {
    await this.store.updateJob(job.id, this.owner, { ...end, at: new Date().toISOString() });
    return true;
  }
}

/** What a failed job says: a JobFailure's message as is; anything else by its name and message. */
function failureMessage(err: unknown): string {
  if (err instanceof JobFailure) return err.message;
  if (err instanceof Error) return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
  return String(err);
}
