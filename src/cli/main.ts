/**
 * The `vigil` command.
 *
 *   vigil serve                          start the server (config from the environment)
 *   vigil keys create|list|revoke        manage API keys over HTTP
 *   vigil ingest [file]                  send NDJSON events (file or stdin)
 *   vigil query [--filter value …]       read events: a table, or NDJSON with --json
 *   vigil export [download|job|status]   export events (jobs-commands.ts)
 *   vigil retention get|set|hold|run     retention and legal holds
 *   vigil verify [--bundle DIR]          verify a tenant log (verify-commands.ts)
 *
 * Client commands talk to --url (VIGIL_URL, default http://localhost:8080) with --key (VIGIL_KEY).
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { ROLES } from '../domain/access.js';
import { VigilError } from '../domain/errors.js';
import { QUERY_PARAMETERS } from '../query/parse-filters.js';
import { ApiClient, ApiError, describeError } from './client.js';
import { ingestFile } from './ingest.js';
import { registerExportCommands, registerRetentionCommands } from './jobs-commands.js';
import { createKey, listKeys, revokeKey } from './keys.js';
import { queryEvents } from './query.js';
import { serve } from './serve.js';
import { registerVerifyCommands } from './verify-commands.js';

interface ClientFlags {
  url: string;
  key?: string;
}

/** Options every client command takes. */
function withClient(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'Vigil server URL').env('VIGIL_URL').default('http://localhost:8080'))
    .addOption(new Option('--key <key>', 'API key').env('VIGIL_KEY'));
}

function client(flags: ClientFlags): ApiClient {
  return new ApiClient({ url: flags.url, key: flags.key });
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Query parameters as flags (`actor_id` is `--actor-id`), aliases aside. The server checks the values. */
const FILTER_FLAGS = QUERY_PARAMETERS.filter((p) => !p.aliasOf).map((p) => ({ ...p, flag: p.name.replace(/_/g, '-') }));

function buildProgram(): Command {
  const program = new Command('vigil').description('Vigil: a tamper-evident audit log service').showHelpAfterError();

  program
    .command('serve')
    .description('start the server (PORT, HOST, VIGIL_DATA_DIR, VIGIL_ADMIN_KEY, VIGIL_LOG_LEVEL)')
    .action(async () => serve(loadConfig(process.env)));

  const keys = program.command('keys').description('manage API keys');
  withClient(keys.command('create'))
    .description('create a key and print its secret (shown once)')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--tenant <tenant>', 'tenant of the key (platform admins: omit for a platform key)')
    .option('--expires-at <time>', 'RFC 3339 expiry time')
    .action(async (flags: ClientFlags & { name: string; role: string; tenant?: string; expiresAt?: string }) =>
      createKey(client(flags), flags, process.stdout, process.stderr),
    );
  withClient(keys.command('list'))
    .description('list keys (never their secrets)')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--json', 'one JSON object per line')
    .action(async (flags: ClientFlags & { tenant?: string; json?: boolean }) =>
      listKeys(client(flags), flags.tenant, flags.json === true, process.stdout),
    );
  withClient(keys.command('revoke'))
    .description('revoke a key')
    .argument('<id>', 'the key id (the part after vk_)')
    .action(async (id: string, flags: ClientFlags) => revokeKey(client(flags), id, process.stdout));

  withClient(program.command('ingest'))
    .description('send NDJSON events from a file or stdin, 500 per request')
    .argument('[file]', 'NDJSON file; - or absent: stdin')
    .option('--tenant <tenant>', 'tenant for events that name none (platform keys)')
    .action(async (file: string | undefined, flags: ClientFlags & { tenant?: string }) => {
      const summary = await ingestFile(client(flags), file, { progress: process.stderr, ...(flags.tenant ? { tenant: flags.tenant } : {}) });
      process.stdout.write(`Stored ${summary.sent} events (${summary.duplicates} already present)\n`);
    });

  const query = withClient(program.command('query'))
    .description('read events with filters (docs/api.md); a table, or NDJSON with --json')
    .option('--json', 'one event per line, as stored')
    .option('--all', 'follow cursors to the last page')
    .option('--secret <path>', 'the trail of one secret, by path or name')
    .option('--identity <type:id>', 'the trail of one identity, such as user:alice@acme.example');
  addFilterOptions(query);
  query.action(async (flags: ClientFlags & Record<string, unknown>) => {
    const params = filterParams(flags);
    const trail = flags.secret !== undefined
      ? `secrets/${String(flags.secret).split('/').map(encodeURIComponent).join('/')}`
      : flags.identity !== undefined ? `identities/${encodeURIComponent(String(flags.identity))}` : undefined;
    const next = await queryEvents(client(flags), { params, json: flags.json === true, all: flags.all === true, ...(trail ? { trail } : {}) }, process.stdout);
    if (next !== null && process.stderr.isTTY) process.stderr.write(`More events: add --cursor ${next} or --all\n`);
  });

  const kit = { withClient, client, addFilterOptions, filterParams };
  registerExportCommands(program, kit);
  registerRetentionCommands(program, kit);
  registerVerifyCommands(program, kit);
  return program;
}

/** Adds a flag per query filter. */
function addFilterOptions(command: Command): Command {
  for (const { flag, doc, multi } of FILTER_FLAGS) {
    if (multi) command.option(`--${flag} <value>`, `${doc} Repeatable.`, collect);
    else command.option(`--${flag} <value>`, doc);
  }
  return command;
}

/** The query parameters given as flags. */
function filterParams(flags: Record<string, unknown>): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const { name, flag } of FILTER_FLAGS) {
    const value = flags[camel(flag)];
    if (value !== undefined) params.set(name, [value as string[] | string].flat());
  }
  return params;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Runs the CLI with `argv` as in `process.argv`. Errors are printed, and set a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`${describe(err)}\n`);
    process.exitCode = 1;
  }
}

function describe(err: unknown): string {
  if (err instanceof ApiError) return describeError(err);
  if (err instanceof VigilError) return err.issues ? err.issues.map((i) => `${i.path}: ${i.message}`).join('\n') : err.message;
  return err instanceof Error ? err.message : String(err);
}

// Run when executed directly (`node --import tsx src/cli/main.ts …`); bin/vigil.js imports it instead.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  void main(process.argv);
}
