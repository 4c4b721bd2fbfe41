/**
 * The results as rows — Vigil's figure, the baseline's, their ratio, and the target of issue 7 —
 * rendered as Markdown tables. Every row has a stable id, which bench/compare.ts matches across
 * runs.
 */
import type { BaselineResults } from './baseline.js';
import { isNotAvailable } from './context.js';
import { DEEP_PAGE, type Investigation } from './queries.js';
import type { VigilResults } from './vigil.js';

export type Engine = 'sqlite' | 'postgres';

export interface Row {
  id: string;
  measure: string;
  unit: string;
  better: 'higher' | 'lower';
  vigil: number | null;
  baseline: number | null;
  /** How the figure was taken, or why it is missing. */
  note?: string;
  target?: { text: string; met: boolean | null };
}

const MB = 1024 * 1024;

/** How many times better Vigil is than the baseline on this row (>1: Vigil is better); null when either is missing. */
export function advantage(row: Pick<Row, 'better' | 'vigil' | 'baseline'>): number | null {
  if (row.vigil === null || row.baseline === null || !(row.vigil > 0) || !(row.baseline > 0)) return null;
  return row.better === 'higher' ? row.vigil / row.baseline : row.baseline / row.vigil;
}

function atLeast(min: number, unit: string, value: number | null, extra: { times: number; ratio: number | null } | null = null) {
  const text = `≥ ${format(min)} ${unit}${extra ? ` and ≥ ${extra.times}× baseline` : ''}`;
  if (value === null) return { text, met: null };
  return { text, met: value >= min && (extra === null || (extra.ratio !== null && extra.ratio >= extra.times)) };
}

function atMost(max: number, unit: string, value: number | null, extra: { times: number; ratio: number | null } | null = null) {
  const text = `≤ ${format(max)} ${unit}${extra ? ` and ≥ ${extra.times}× baseline` : ''}`;
  if (value === null) return { text, met: null };
  return { text, met: value <= max && (extra === null || (extra.ratio !== null && extra.ratio >= extra.times)) };
}

/** The rows of one engine, in the order the table shows them. */
export function engineRows(engine: Engine, invs: Investigation[], v: VigilResults, b: BaselineResults | undefined): Row[] {
  const rows: Row[] = [];
  const sqlite = engine === 'sqlite';
  if (v.batches) {
    const batches: Row = { id: 'ingest.batches', measure: 'HTTP ingest, batches of 500 on 4 connections', unit: 'events/s', better: 'higher', vigil: v.batches.rate, baseline: b?.batches?.rate ?? null };
    batches.target = sqlite
      ? atLeast(50_000, 'events/s', batches.vigil, { times: 4, ratio: advantage(batches) })
      : atLeast(30_000, 'events/s', batches.vigil);
    batches.note = `server used ${v.batches.serverCores.toFixed(2)} cores, the load generator ${v.batches.clientCores.toFixed(2)}`;
    const cpu: Row = {
      id: 'ingest.batches.server_cpu',
      measure: '… server CPU time per event (load-independent)',
      unit: 'µs',
      better: 'lower',
      vigil: (v.batches.serverCores * v.batches.seconds * 1e6) / v.batches.events,
      baseline: null,
      note: 'one busy core would ingest 1,000,000 ÷ this many events/s',
    };
    rows.push(batches, cpu, { id: 'ingest.batches.tail', measure: '… over the last 10% of the events (sustained)', unit: 'events/s', better: 'higher', vigil: v.batches.lastTenthRate, baseline: b?.batches?.lastTenthRate ?? null });
  }
  if (b?.ceiling !== undefined && v.batches) {
    rows.push({ id: 'ingest.ceiling', measure: 'engine bulk insert with no index (physical ceiling; baseline column)', unit: 'rows/s', better: 'higher', vigil: v.batches.rate, baseline: b.ceiling, note: 'Vigil ÷ ceiling: the share of the raw engine speed Vigil keeps' });
  }
  if (v.singles) {
    const capped = [['Vigil', v.singles.cappedAfter], ['baseline', b?.singles?.cappedAfter]].filter(([, n]) => typeof n === 'number');
    const note = capped.length > 0 ? `time cap: ${capped.map(([who, n]) => `${who} timed ${n} events`).join(', ')}, the rest went in batches` : undefined;
    const rate: Row = { id: 'ingest.singles', measure: 'HTTP ingest, single events on 64 connections', unit: 'events/s', better: 'higher', vigil: v.singles.rate, baseline: b?.singles?.rate ?? null, ...(note ? { note } : {}) };
    if (sqlite) rate.target = atLeast(5_000, 'events/s', rate.vigil);
    const p50: Row = { id: 'ingest.singles.p50', measure: '… latency p50', unit: 'ms', better: 'lower', vigil: v.singles.p50Ms, baseline: b?.singles?.p50Ms ?? null };
    const cpu: Row = { id: 'ingest.singles.server_cpu', measure: '… server CPU time per event', unit: 'µs', better: 'lower', vigil: (v.singles.serverCores * v.singles.seconds * 1e6) / v.singles.events, baseline: null };
    const p99: Row = { id: 'ingest.singles.p99', measure: '… latency p99', unit: 'ms', better: 'lower', vigil: v.singles.p99Ms, baseline: b?.singles?.p99Ms ?? null };
    if (sqlite) p99.target = atMost(50, 'ms', p99.vigil);
    rows.push(rate, cpu, p50, p99);
  }
  if (v.queries) rows.push(...queryRows(engine, invs, v, b));
  if (v.export && isNotAvailable(v.export)) {
    rows.push({ id: 'export.rate', measure: 'streamed CSV export', unit: 'rows/s', better: 'higher', vigil: null, baseline: b?.export?.rate ?? null, note: v.export.na });
  } else if (v.export) {
    const rate: Row = { id: 'export.rate', measure: `streamed CSV export (${v.export.rows.toLocaleString('en-US')} rows)`, unit: 'rows/s', better: 'higher', vigil: v.export.rate, baseline: b?.export?.rate ?? null, note: `baseline: OFFSET pages of 1,000 rows, same CSV encoder${b?.export?.capped ? `; stopped by its 60 s cap after ${b.export.rows.toLocaleString('en-US')} rows (its rate only falls after)` : ''}` };
    const rss: Row = { id: 'export.peak_rss', measure: '… server peak RSS while exporting', unit: 'MB', better: 'lower', vigil: v.export.peakRss / MB, baseline: null, note: `RSS when ready, before any event: ${(v.idleRss / MB).toFixed(0)} MB; before the export: ${(v.export.rssBefore / MB).toFixed(0)} MB` };
    const page: Row = { id: 'export.page_during', measure: '… a first page of 50 events meanwhile, p50 / p95', unit: 'ms', better: 'lower', vigil: v.export.pageDuring.p50, baseline: null, note: `p95 ${format(v.export.pageDuring.p95)} ms over ${v.export.pageDuring.runs} pages, one every 10 ms on another connection: how long other requests wait behind an export (idle: the dashboard's first page under queries)` };
    if (sqlite) {
      rate.target = atLeast(150_000, 'rows/s', rate.vigil);
      rss.target = atMost(200, 'MB', rss.vigil);
    }
    rows.push(rate, rss, page);
  }
  if (v.summary) {
    if (isNotAvailable(v.summary)) {
      rows.push({ id: 'summary.p95', measure: '30-day summary, largest tenant, p95', unit: 'ms', better: 'lower', vigil: null, baseline: b?.summary?.p95 ?? null, note: v.summary.na });
    } else {
      rows.push({ id: 'summary.p50', measure: '30-day summary, largest tenant, p50', unit: 'ms', better: 'lower', vigil: v.summary.p50, baseline: b?.summary?.p50 ?? null, note: 'group_by=action,actor, bucket=day, baseline=actor, over HTTP; baseline: three GROUP BYs, no per-actor baselines' });
      const p95: Row = { id: 'summary.p95', measure: '… p95', unit: 'ms', better: 'lower', vigil: v.summary.p95, baseline: b?.summary?.p95 ?? null };
      if (sqlite) p95.target = atMost(200, 'ms', p95.vigil);
      const first: Row = { id: 'summary.first', measure: "… the server's first", unit: 'ms', better: 'lower', vigil: v.summary.first, baseline: null, note: 'before the warm-up (on SQLite its past days come from the store, not yet from memory)' };
      rows.push(p95, first);
    }
  }
  if (v.proof) {
    if (isNotAvailable(v.proof)) {
      rows.push({ id: 'proof.p95', measure: 'inclusion proof, p95', unit: 'ms', better: 'lower', vigil: null, baseline: null, note: v.proof.na });
    } else {
      const measure = `inclusion proof at ${v.proof.treeSize.toLocaleString('en-US')} leaves, p50`;
      rows.push({ id: 'proof.p50', measure, unit: 'ms', better: 'lower', vigil: v.proof.p50, baseline: null, note: 'over HTTP; the baseline has no proofs' });
      const p95: Row = { id: 'proof.p95', measure: '… p95', unit: 'ms', better: 'lower', vigil: v.proof.p95, baseline: null };
      if (sqlite) p95.target = atMost(5, 'ms', p95.vigil);
      rows.push(p95);
    }
  }
  if (v.verify) {
    const verify: Row = isNotAvailable(v.verify)
      ? { id: 'verify.rate', measure: 'offline verify', unit: 'events/s', better: 'higher', vigil: null, baseline: null, note: v.verify.na }
      : { id: 'verify.rate', measure: `offline verify of the largest tenant's bundle (${v.verify.events.toLocaleString('en-US')} events)`, unit: 'events/s', better: 'higher', vigil: v.verify.rate, baseline: null, note: '`vigil verify --bundle` in-process (no CLI start-up), the fastest of up to 3 passes (one if it takes over 2 s); the baseline has nothing to verify' };
    if (sqlite) verify.target = atLeast(200_000, 'events/s', verify.vigil);
    rows.push(verify);
  }
  if (v.disk) {
    const disk: Row = { id: 'disk.per_event', measure: 'bytes on disk per event, indexes included', unit: 'B', better: 'lower', vigil: v.disk.perEvent, baseline: b?.disk?.perEvent ?? null, note: `Vigil: every table (Merkle tiles, dictionaries, rollups) over ${v.disk.events.toLocaleString('en-US')} events` };
    if (sqlite) disk.target = atMost(600, 'B', disk.vigil);
    rows.push(disk);
  }
  return rows;
}

function queryRows(engine: Engine, invs: Investigation[], v: VigilResults, b: BaselineResults | undefined): Row[] {
  const limit = engine === 'sqlite' ? 50 : 100;
  const rows: Row[] = [];
  for (const inv of invs) {
    const failed = v.failed?.[inv.id];
    if (failed) rows.push({ id: `query.${inv.id}.page1.p95`, measure: `${inv.title}: page 1`, unit: 'ms', better: 'lower', vigil: null, baseline: b?.queries?.[inv.id]?.page1.p95 ?? null, note: failed });
    const mine = v.queries?.[inv.id];
    if (!mine) continue;
    const theirs = b?.queries?.[inv.id];
    const differs = theirs && theirs.rows !== mine.rows ? `; the baseline found ${theirs.rows} rows on these pages, Vigil ${mine.rows}` : '';
    for (const [page, label, timing, other] of [
      ['page1', 'page 1', mine.page1, theirs?.page1],
      ['deep', mine.deepPage < DEEP_PAGE ? `page ${mine.deepPage} (the last)` : `page ${mine.deepPage}`, mine.deep, theirs?.deep],
    ] as const) {
      if (page === 'deep' && mine.deepPage === 1) continue;
      const id = `query.${inv.id}.${page}`;
      const measure = `${inv.title}: ${label}`;
      rows.push({ id: `${id}.p50`, measure, unit: 'ms', better: 'lower', vigil: timing.p50, baseline: other?.p50 ?? null });
      const p95: Row = { id: `${id}.p95`, measure, unit: 'ms', better: 'lower', vigil: timing.p95, baseline: other?.p95 ?? null };
      if (page === 'deep' && differs) p95.note = differs.slice(2);
      p95.target = page === 'deep' && mine.deepPage >= 100
        ? atMost(limit, 'ms', p95.vigil, { times: 100, ratio: advantage(p95) })
        : atMost(limit, 'ms', p95.vigil);
      rows.push(p95);
    }
  }
  return rows;
}

/** 12,345 for large figures, 3 significant digits for small ones. */
export function format(n: number | null): string {
  if (n === null || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

function ratioText(r: Row): string {
  const a = advantage(r);
  return a === null ? '—' : `${format(a)}×`;
}

function targetText(r: Row): string {
  if (!r.target) return '';
  const mark = r.target.met === null ? '' : r.target.met ? ' ✓' : ' ✗';
  return `${r.target.text}${mark}`;
}

/** The main table of one engine (queries apart). */
export function markdownTable(rows: Row[]): string {
  const lines = ['| measure | unit | Vigil | baseline | Vigil advantage | target (issue 7) | note |', '|---|---|---:|---:|---:|---|---|'];
  for (const r of rows.filter((r) => !r.id.startsWith('query.'))) {
    lines.push(`| ${r.measure} | ${r.unit} | ${format(r.vigil)} | ${format(r.baseline)} | ${ratioText(r)} | ${targetText(r)} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

/** The investigations of one engine: p50 and p95 side by side, page 1 and the deep page. */
export function markdownQueries(rows: Row[]): string {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const lines = [
    '| investigation (largest tenant) | Vigil p50 | Vigil p95 | baseline p50 | baseline p95 | Vigil advantage (p95) | target (issue 7) | note |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of rows.filter((r) => r.id.startsWith('query.') && r.id.endsWith('.p95'))) {
    const p50 = byId.get(r.id.replace(/\.p95$/, '.p50'));
    lines.push(`| ${r.measure} | ${format(p50?.vigil ?? null)} | ${format(r.vigil)} | ${format(p50?.baseline ?? null)} | ${format(r.baseline)} | ${ratioText(r)} | ${targetText(r)} | ${r.note ?? ''} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}
