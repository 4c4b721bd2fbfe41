import { csvHeader, csvLines } from './csv.js';
import { jsonlLines } from './jsonl.js';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

/** How one export format turns stored rows into text. */
export interface ExportFormat {
  name: ExportFormatName;
  contentType: string;
  extension: string;
  /** What begins every file (the CSV header line; nothing for JSONL). */
  header(): string;
  /** The lines of stored bodies (canonical JSON, as hashed). Runs on an encoding thread (encoder-pool.ts). */
  encode(bodies: readonly string[]): string;
}

export const FORMATS: Record<ExportFormatName, ExportFormat> = {
  csv: { name: 'csv', contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv', header: csvHeader, encode: csvLines },
  jsonl: { name: 'jsonl', contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl', header: () => '', encode: jsonlLines },
};

export function isExportFormat(value: unknown): value is ExportFormatName {
  return (EXPORT_FORMATS as readonly unknown[]).includes(value);
}
