/**
 * Compares two runs of `npm run bench -- --json FILE` (say, two commits), row by row.
 *
 *   node --import tsx bench/compare.ts BEFORE.json AFTER.json [--threshold 10]
 *
 * For each engine and each row both runs have: Vigil's figure before and after, the change in
 * percent (positive means better, whichever way the unit points), and a mark when it moved more
 * than the threshold. Rows only one run has are listed apart. Both runs' machines and loads are
 * printed first: a comparison across machines, or with a busy machine, says little.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machineLine, type Machine } from './machine.js';
import { format, type Row } from './report.js';

interface Report {
  command: string;
  machine: Machine;
  engines: Record<string, { rows: Row[] }>;
}

function load(file: string): Report {
  return JSON.parse(readFileSync(file, 'utf8')) as Report;
}

/** The row's label, with the percentile when the id has one (query rows share their label). */
function label(row: Row): string {
  const percentileOf = /\.(p\d+)$/.exec(row.id)?.[1];
  return percentileOf && !row.measure.includes(percentileOf) ? `${row.measure} (${percentileOf})` : row.measure;
}

/** Percent change of Vigil's figure from `before` to `after`, positive when it improved. */
function change(before: Row, after: Row): number | null {
  if (before.vigil === null || after.vigil === null || before.vigil === 0) return null;
  const delta = ((after.vigil - before.vigil) / before.vigil) * 100;
  return before.better === 'higher' ? delta : -delta;
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { threshold: { type: 'string', default: '10' } } });
  if (positionals.length !== 2) {
    process.stderr.write('usage: node --import tsx bench/compare.ts BEFORE.json AFTER.json [--threshold PERCENT]\n');
    process.exitCode = 2;
    return;
  }
  const threshold = Number(values.threshold);
  const [before, after] = positionals.map(load) as [Report, Report];
  const out = [
    `Before: ${before.command}; ${machineLine(before.machine)}`,
    `After:  ${after.command}; ${machineLine(after.machine)}`,
    '',
  ];
  for (const engine of Object.keys(after.engines)) {
    const old = new Map((before.engines[engine]?.rows ?? []).map((r) => [r.id, r]));
    out.push(`### ${engine}`, '', '| measure | unit | before | after | change | |', '|---|---|---:|---:|---:|---|');
    const onlyAfter: string[] = [];
    for (const row of after.engines[engine]!.rows) {
      const was = old.get(row.id);
      old.delete(row.id);
      if (!was) {
        onlyAfter.push(row.id);
        continue;
      }
      const c = change(was, row);
      const mark = c === null ? '' : c <= -threshold ? 'worse' : c >= threshold ? 'better' : '';
      out.push(`| ${label(row)} | ${row.unit} | ${format(was.vigil)} | ${format(row.vigil)} | ${c === null ? '—' : `${c >= 0 ? '+' : ''}${c.toFixed(1)}%`} | ${mark} |`);
    }
    if (onlyAfter.length > 0) out.push('', `Only in after: ${onlyAfter.join(', ')}`);
    if (old.size > 0) out.push('', `Only in before: ${[...old.keys()].join(', ')}`);
    out.push('');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
