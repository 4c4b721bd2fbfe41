/** What every measure of one run shares: the data set's file and subjects, sizes, and options. */
import type { Subjects } from './dataset.js';
import type { Runtime } from './server.js';
import type { TimingOptions } from './stats.js';

export const SECTIONS = ['ingest', 'queries', 'export', 'summary', 'proofs', 'disk'] as const;
export type Section = (typeof SECTIONS)[number];

export interface RunContext {
  events: number;
  /** The last `singles` events of the file are sent one per request (when ingest is measured). */
  singles: number;
  batchSize: number;
  connections: number;
  concurrency: number;
  sections: ReadonlySet<Section>;
  timing: TimingOptions;
  eventsFile: string;
  /** A temporary directory of this run (bundles and the like go here). */
  workDir: string;
  subjects: Subjects;
  endUs: number;
  logLevel: string;
  runtime: Runtime;
  /** Seconds the single-event phase may take (each side) before the rest goes in batches, untimed. */
  singlesSeconds: number;
  profileDir?: string;
  log: (line: string) => void;
}

/** Where the single events start in the file: all events go in batches unless ingest is measured. */
export function batchEnd(ctx: RunContext): number {
  return ctx.sections.has('ingest') ? ctx.events - ctx.singles : ctx.events;
}

/** A figure that could not be measured, and why. */
export interface NotAvailable {
  na: string;
}

export function isNotAvailable(value: unknown): value is NotAvailable {
  return typeof value === 'object' && value !== null && 'na' in value;
}
