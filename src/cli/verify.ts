/**
 * `vigil verify`: checks a tenant's log against Vigil's signed checkpoints, trusting nothing but
 * the verifier key — online against a running service, or offline against a bundle (a directory
 * of events.jsonl, checkpoint.note, verifier.key and, optionally, leaf-hashes.bin). Both recompute
 * every leaf from the events' bytes and the root from the leaves (integrity/verify-log.ts), check
 * that the log extends the checkpoint saved by the previous run, and name the first event that
 * does not match. docs/integrity.md explains each step.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { decodeBase64, encodeBase64 } from '../integrity/base64.js';
import { checkpointOrigin, openCheckpoint, type Checkpoint } from '../integrity/checkpoint.js';
import { NoteError, ProofError } from '../integrity/errors.js';
import { formatVerifierKey, parseVerifierKey, type NoteVerifier } from '../integrity/note.js';
import type { CheckpointView, ConsistencyView, VerifierKeyView } from '../integrity/proof-service.js';
import { verifyConsistency } from '../integrity/verify-proof.js';
import { verifyLog, type Problem, type VerifyLogReport } from '../integrity/verify-log.js';
import { fromErrorBody, type ApiClient } from './client.js';
import { defaultStatePath, loadState, saveState } from './verify-state.js';

export const BUNDLE_FILES = { events: 'events.jsonl', checkpoint: 'checkpoint.note', key: 'verifier.key', leafHashes: 'leaf-hashes.bin' } as const;

export interface VerifyOptions {
  /** The verifier key the auditor pinned. Absent: the key the service serves (or the bundle holds), which is weaker. */
  verifierKey?: string;
  /** The file keeping the last verified checkpoint. Online default: `~/.vigil/verify-<host>-<tenant>.json`; a bundle has none by default. */
  state?: string;
  /** Origins are `<prefix>/<tenant>`; default `vigil`. */
  originPrefix?: string;
}

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** A failure found before the log is read (signature, origin, saved checkpoint). */
class Refused extends Error {}

/** Online: verifies the tenant's log as a running Vigil serves it. True when it verifies. */
export async function verifyOnline(client: ApiClient, url: string, tenant: string, options: VerifyOptions, io: Io): Promise<boolean> {
  const tenantQuery = () => new URLSearchParams({ tenant });
  const keyText = options.verifierKey ?? (await client.request<VerifierKeyView>('GET', '/v1/audit/checkpoint/key')).key;
  const served = await client.request<CheckpointView>('GET', '/v1/audit/checkpoint', { query: tenantQuery() });
  const statePath = options.state ?? defaultStatePath(url, tenant);
  return run(io, async () => {
    const verifier = openKey(keyText, options.verifierKey === undefined ? 'served by the log itself' : 'pinned', io);
    const checkpoint = openSigned(served.note, verifier, checkpointOrigin(tenant, options.originPrefix));
    describeCheckpoint(io, checkpoint);
    const saved = await loadState(statePath, verifier, checkpoint.origin);
    await checkExtendsSaved(client, tenant, saved, checkpoint, statePath, io);

    const range = new URLSearchParams({ tenant, to_seq: String(checkpoint.size) });
    const events = await download(client, '/v1/audit/leaves', range);
    const leafHashes = await download(client, '/v1/audit/leaf-hashes', range);
    try {
      const report = await verifyLog({ checkpoint, tenant, events, leafHashes, ...(saved ? { saved } : {}) });
      return finish(io, checkpoint, report, () => saveState(statePath, served.note, checkpoint));
    } finally {
      events.destroy();
      leafHashes.destroy();
    }
  });
}

/** Offline: verifies a bundle directory with nothing but its files (and the pinned key). True when it verifies. */
export async function verifyBundle(dir: string, tenant: string | undefined, options: VerifyOptions, io: Io): Promise<boolean> {
  const file = (name: string) => path.join(dir, name);
  const note = await readFile(file(BUNDLE_FILES.checkpoint), 'utf8');
  const keyText = options.verifierKey ?? (await readFile(file(BUNDLE_FILES.key), 'utf8')).trim();
  const hasLeafHashes = await exists(file(BUNDLE_FILES.leafHashes));
  return run(io, async () => {
    const verifier = openKey(keyText, options.verifierKey === undefined ? 'from the bundle itself' : 'pinned', io);
    // Without --tenant, the checkpoint names the tenant (its origin's last part), and says so.
    const origin = tenant === undefined ? undefined : checkpointOrigin(tenant, options.originPrefix);
    const checkpoint = openSigned(note, verifier, origin);
    const forTenant = tenant ?? checkpoint.origin.slice(checkpoint.origin.lastIndexOf('/') + 1);
    describeCheckpoint(io, checkpoint);
    const saved = options.state ? await loadState(options.state, verifier, checkpoint.origin) : null;
    if (saved) io.out.write(`  the bundle must extend the checkpoint saved ${saved.verifiedAt} at size ${saved.size} (${options.state})\n`);
    if (!hasLeafHashes) io.out.write(`  no ${BUNDLE_FILES.leafHashes}: a mismatch is found but not located, and no event may be missing\n`);

    const read = (name: string) => createReadStream(file(name), { highWaterMark: 1 << 20 });
    const events = read(BUNDLE_FILES.events);
    const leafHashes = hasLeafHashes ? read(BUNDLE_FILES.leafHashes) : undefined;
    try {
      const report = await verifyLog({ checkpoint, tenant: forTenant, events, ...(leafHashes ? { leafHashes } : {}), ...(saved ? { saved } : {}) });
      return finish(io, checkpoint, report, async () => {
        if (options.state) await saveState(options.state, note, checkpoint);
      });
    } finally {
      events.destroy();
      leafHashes?.destroy();
    }
  });
}

/** `vigil verify bundle --make`: writes a bundle of the tenant's log at its latest checkpoint. */
export async function makeBundle(client: ApiClient, dir: string, tenant: string, io: Io): Promise<void> {
  const { key } = await client.request<VerifierKeyView>('GET', '/v1/audit/checkpoint/key');
  const served = await client.request<CheckpointView>('GET', '/v1/audit/checkpoint', { query: new URLSearchParams({ tenant }) });
  await mkdir(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  await writeFile(file(BUNDLE_FILES.key), `${key}\n`);
  await writeFile(file(BUNDLE_FILES.checkpoint), served.note);
  const range = new URLSearchParams({ tenant, to_seq: String(served.size) });
  await pipeline(await download(client, '/v1/audit/leaves', range), createWriteStream(file(BUNDLE_FILES.events)));
  await pipeline(await download(client, '/v1/audit/leaf-hashes', range), createWriteStream(file(BUNDLE_FILES.leafHashes)));
  io.out.write(`Bundle of ${served.origin} at size ${served.size} (root ${served.root}) written to ${dir}\n`);
  io.err.write(`Verify it with: vigil verify --bundle ${dir} --verifier-key <the key you pinned>\n`);
}

/** Runs the checks; a Refused or NoteError ends it as a failed verification rather than an error. */
async function run(io: Io, checks: () => Promise<boolean>): Promise<boolean> {
  try {
    return await checks();
  } catch (err) {
    if (!(err instanceof Refused || err instanceof NoteError)) throw err;
    io.err.write(`FAILED: ${err.message}\n`);
    return false;
  }
}

function openKey(text: string, how: string, io: Io): NoteVerifier {
  const verifier = parseVerifierKey(text.trim());
  if (how !== 'pinned') {
    io.err.write(`warning: trusting the verifier key ${how}; pin the key you obtained out of band with --verifier-key\n`);
  }
  io.out.write(`Verifier key ${formatVerifierKey(verifier)} (${how})\n`);
  return verifier;
}

function openSigned(note: string, verifier: NoteVerifier, origin: string | undefined): Checkpoint {
  try {
    return openCheckpoint(note, verifier, origin);
  } catch (err) {
    throw new Refused(`the checkpoint does not verify: ${(err as Error).message}`);
  }
}

function describeCheckpoint(io: Io, checkpoint: Checkpoint): void {
  io.out.write(`Checkpoint ${checkpoint.origin}: ${checkpoint.size} events, root ${encodeBase64(checkpoint.root)} (signature verified)\n`);
}

/**
 * The checkpoint must extend the one saved by the previous run: same root at the same size, or
 * a consistency proof from the saved size, verified here against both roots.
 */
async function checkExtendsSaved(client: ApiClient, tenant: string, saved: Checkpoint | null, checkpoint: Checkpoint, statePath: string, io: Io): Promise<void> {
  if (!saved) {
    io.out.write(`  no checkpoint saved yet (${statePath}): this one will be, if the log verifies\n`);
    return;
  }
  if (saved.size > checkpoint.size) {
    throw new Refused(`the log was truncated or rewritten: the checkpoint has ${checkpoint.size} events, the one saved before (${statePath}) had ${saved.size}`);
  }
  if (saved.size > 0 && saved.size < checkpoint.size) {
    const query = new URLSearchParams({ tenant, from: String(saved.size), to: String(checkpoint.size) });
    const served = await client.request<ConsistencyView>('GET', '/v1/audit/proofs/consistency', { query });
    const proof = served.proof.map((p) => decodeBase64(p) ?? new Uint8Array());
    try {
      verifyConsistency(saved.size, checkpoint.size, proof, saved.root, checkpoint.root);
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      throw new Refused(`the log does not extend the checkpoint saved before at size ${saved.size} (${err.message}): it was rewritten`);
    }
  } else if (Buffer.compare(saved.root, checkpoint.root) !== 0) {
    throw new Refused(`the checkpoint has the size of the one saved before (${saved.size}) but another root: the log was rewritten`);
  }
  io.out.write(`  extends the checkpoint saved at size ${saved.size} (${statePath})\n`);
}

/** Prints the outcome; on success runs `save`. */
async function finish(io: Io, checkpoint: Checkpoint, report: VerifyLogReport, save: () => Promise<void>): Promise<boolean> {
  io.out.write(`Recomputed ${report.recomputed} leaves from the events\n`);
  if (report.fromTiles > 0) {
    const ranges = report.gaps.slice(0, 5).map(([from, to]) => (to - from === 1 ? `${from}` : `${from}–${to - 1}`)).join(', ');
    const more = report.gaps.length > 5 ? ` and ${report.gaps.length - 5} more ranges` : '';
    const accounted = report.purges.count >= report.fromTiles
      ? `the log records retention purges of ${report.purges.count} events`
      : `WARNING: the log records retention purges of only ${report.purges.count} events; ask the operator why the others are gone`;
    io.out.write(`${report.fromTiles} purged leaves (seq ${ranges}${more}) taken from Vigil's leaf hashes, which make the signed root; ${accounted}\n`);
  }
  if (!report.ok) {
    printProblems(io, report.problems);
    return false;
  }
  await save();
  io.out.write(`OK: ${checkpoint.origin} verifies at size ${checkpoint.size}, root ${encodeBase64(checkpoint.root)}\n`);
  return true;
}

function printProblems(io: Io, problems: readonly Problem[]): void {
  io.err.write(`FAILED: ${problems[0]!.message}\n`);
  if (problems.length > 1) {
    io.err.write(`and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}:\n`);
    for (const p of problems.slice(1, 21)) io.err.write(`  ${p.message}\n`);
  }
}

/** A streamed answer as a Node stream; an error answer is an ApiError. */
async function download(client: ApiClient, route: string, query: URLSearchParams): Promise<Readable> {
  const response = await client.fetch('GET', route, query);
  if (!response.ok) throw fromErrorBody(response.status, await response.json().catch(() => undefined));
  return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
