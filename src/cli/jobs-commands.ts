/**
 * `vigil export` and `vigil retention`: the export and retention commands, registered on the
 * program by main.ts with the helpers every client command shares.
 */
import { Command, Option } from 'commander';
import { EXPORT_FORMATS } from '../export/format.js';
import type { ApiClient } from './client.js';
import { describeJob, downloadExport, exportJobStatus, jobFailed, startExportJob, type Params } from './export.js';
import { describeRetention, describeRun, getRetention, runRetention, setHold, setRetention } from './retention.js';

export interface ClientFlags {
  url: string;
  key?: string;
}

/** What main.ts lends: the --url/--key options, the client, and the filter flags of `vigil query`. */
export interface ClientKit {
  withClient(command: Command): Command;
  client(flags: ClientFlags): ApiClient;
  addFilterOptions(command: Command): Command;
  filterParams(flags: Record<string, unknown>): Params;
}

export function registerExportCommands(program: Command, kit: ClientKit): void {
  const exp = program.command('export').description('export events: stream to a file or stdout, or run a job to a configured destination');
  const format = () => new Option('--format <format>', 'file format').choices([...EXPORT_FORMATS]).default('csv');

  kit
    .addFilterOptions(kit.withClient(exp.command('download', { isDefault: true })))
    .description('stream every matching event (filters as in `vigil query`), no row cap')
    .addOption(format())
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (flags: ClientFlags & Record<string, unknown>) => {
      const bytes = await downloadExport(kit.client(flags), kit.filterParams(flags), String(flags.format), (flags.output as string | undefined) ?? process.stdout);
      if (flags.output) process.stderr.write(`Wrote ${bytes} bytes to ${String(flags.output)}\n`);
    });

  kit
    .addFilterOptions(kit.withClient(exp.command('job')))
    .description('export to a destination named in the server configuration (s3, gcs, azure_blob, file)')
    .requiredOption('--destination <name>', 'configured destination')
    .addOption(format())
    .option('--gzip', 'compress each file')
    .option('--split-bytes <n>', 'start a new file past this many bytes', (v) => Number(v))
    .option('--wait', 'wait until the job ends and print its manifest')
    .action(async (flags: ClientFlags & Record<string, unknown>) => {
      const params = kit.filterParams(flags);
      const tenant = params.get('tenant')?.[0];
      const job = await startExportJob(
        kit.client(flags),
        params,
        {
          destination: String(flags.destination),
          format: String(flags.format),
          gzip: flags.gzip === true,
          ...(flags.splitBytes === undefined ? {} : { splitBytes: flags.splitBytes as number }),
          ...(tenant === undefined ? {} : { tenant }),
        },
        flags.wait === true,
      );
      process.stdout.write(describeJob(job));
      const failed = jobFailed(job);
      if (failed) throw failed;
    });

  kit
    .withClient(exp.command('status'))
    .description('state, progress and manifest of an export job')
    .argument('<id>', 'the job id')
    .option('--json', 'the job as JSON')
    .action(async (id: string, flags: ClientFlags & { json?: boolean }) => {
      const job = await exportJobStatus(kit.client(flags), id);
      process.stdout.write(flags.json ? `${JSON.stringify(job, null, 2)}\n` : describeJob(job));
    });
}

export function registerRetentionCommands(program: Command, kit: ClientKit): void {
  const ret = program.command('retention').description('per-tenant retention, legal holds and retention runs');
  kit
    .withClient(ret.command('get'))
    .argument('<tenant>')
    .description('show a tenant\'s retention and legal hold')
    .action(async (tenant: string, flags: ClientFlags) => {
      process.stdout.write(describeRetention(await getRetention(kit.client(flags), tenant)));
    });
  kit
    .withClient(ret.command('set'))
    .argument('<tenant>')
    .description('set how long a tenant\'s events are kept')
    .requiredOption('--days <days>', '90, 365, 1095, 2555, another whole number, or "default" for the platform default')
    .option('--archive <destination>', 'archive to this configured destination before purging ("none" to stop archiving)')
    .action(async (tenant: string, flags: ClientFlags & { days: string; archive?: string }) => {
      process.stdout.write(describeRetention(await setRetention(kit.client(flags), tenant, flags.days, flags.archive)));
    });
  kit
    .withClient(ret.command('hold'))
    .argument('<tenant>')
    .description('set a legal hold (suspends purging) with --reason, or lift it with --release')
    .option('--reason <text>', 'why the hold is set')
    .option('--release', 'lift the hold')
    .action(async (tenant: string, flags: ClientFlags & { reason?: string; release?: boolean }) => {
      process.stdout.write(describeRetention(await setHold(kit.client(flags), tenant, flags.release !== true, flags.reason)));
    });
  kit
    .withClient(ret.command('run'))
    .description('enforce retention now (one tenant, or every tenant with a platform key)')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--wait', 'wait until each run ends')
    .action(async (flags: ClientFlags & { tenant?: string; wait?: boolean }) => {
      const runs = await runRetention(kit.client(flags), flags.tenant, flags.wait === true);
      if (runs.length === 0) process.stdout.write('Nothing to purge (no expired events, or a legal hold).\n');
      for (const run of runs) process.stdout.write(describeRun(run));
    });
}
