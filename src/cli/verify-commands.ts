/**
 * `vigil verify` (online, or offline with --bundle) and `vigil verify bundle --make`, registered
 * on the program by main.ts. A log that does not verify sets a non-zero exit code.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_ORIGIN_PREFIX } from '../integrity/checkpoint.js';
import type { ClientFlags, ClientKit } from './jobs-commands.js';
import { makeBundle, verifyBundle, verifyOnline, type VerifyOptions } from './verify.js';

interface VerifyFlags extends ClientFlags {
  tenant?: string;
  verifierKey?: string;
  state?: string;
  bundle?: string;
  originPrefix: string;
}

const io = { out: process.stdout, err: process.stderr };

export function registerVerifyCommands(program: Command, kit: Pick<ClientKit, 'withClient' | 'client'>): void {
  const verify = program
    .command('verify')
    .description('verify a tenant log against its signed checkpoints: online (--url, --tenant) or an offline bundle (--bundle DIR)');

  kit
    .withClient(verify.command('log', { isDefault: true }))
    .description('the default: verify a tenant log online (--tenant), or a bundle offline (--bundle DIR)')
    .option('--tenant <tenant>', 'the tenant whose log to verify (required online)')
    .addOption(new Option('--verifier-key <key>', 'the verifier key (name+keyid+base64) you pinned; default: the one served, which is weaker').env('VIGIL_VERIFIER_KEY'))
    .option('--state <file>', 'the last verified checkpoint (online default: ~/.vigil/verify-<host>-<tenant>.json)')
    .option('--bundle <dir>', 'verify this bundle offline: events.jsonl, checkpoint.note, verifier.key[, leaf-hashes.bin]')
    .option('--origin-prefix <prefix>', 'origins are <prefix>/<tenant>', DEFAULT_ORIGIN_PREFIX)
    .action(async (flags: VerifyFlags) => {
      const options: VerifyOptions = {
        originPrefix: flags.originPrefix,
        ...(flags.verifierKey ? { verifierKey: flags.verifierKey } : {}),
        ...(flags.state ? { state: flags.state } : {}),
      };
      let ok: boolean;
      if (flags.bundle !== undefined) {
        ok = await verifyBundle(flags.bundle, flags.tenant, options, io);
      } else {
        if (flags.tenant === undefined) throw new Error('--tenant is required to verify a log online (or give --bundle DIR)');
        ok = await verifyOnline(kit.client(flags), flags.url, flags.tenant, options, io);
      }
      if (!ok) process.exitCode = 1;
    });

  kit
    .withClient(verify.command('bundle'))
    .description('write a bundle of a tenant log at its latest checkpoint, for offline verification')
    .requiredOption('--make <dir>', 'directory to write events.jsonl, checkpoint.note, verifier.key and leaf-hashes.bin to')
    .requiredOption('--tenant <tenant>', 'the tenant')
    .action(async (flags: ClientFlags & { make: string; tenant: string }) => makeBundle(kit.client(flags), flags.make, flags.tenant, io));
}
