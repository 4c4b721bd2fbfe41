import { readFileSync } from 'node:fs';
import { invalid, type FieldIssue } from '../domain/errors.js';

/**
 * Export settings from Vigil's configuration: the JSON file named by `VIGIL_CONFIG` (keys
 * `destinations` and `export`), or `VIGIL_EXPORT_DESTINATIONS` (the `destinations` object as
 * JSON, which wins over the file's). A request names a destination; it never carries credentials.
 *
 * A secret (an access key, an account key, a connection string) is written either inline or as
 * `{"env": "NAME"}`, read from that environment variable at start, so the file itself can stay
 * free of secrets.
 */

type Env = Record<string, string | undefined>;

/** The parsed `VIGIL_CONFIG` file, or an empty object when there is none. */
export function readConfigFile(env: Env): Record<string, unknown> {
  const path = env.VIGIL_CONFIG?.trim();
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid([{ path: 'VIGIL_CONFIG', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  const parsed = parseJson(text, 'VIGIL_CONFIG');
  if (!isObject(parsed)) throw invalid([{ path: 'VIGIL_CONFIG', message: 'must hold a JSON object' }]);
  return parsed;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** An S3-compatible bucket: AWS S3, or any endpoint speaking its API (MinIO, Ceph, R2, …). */
export interface S3DestinationConfig {
  type: 's3' | 'gcs';
  name: string;
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Absent: the AWS SDK's default credential chain (environment, profile, instance role). */
  credentials?: S3Credentials;
}

export interface AzureDestinationConfig {
  type: 'azure_blob';
  name: string;
  container: string;
  prefix: string;
  connectionString?: string;
  account?: string;
  accountKey?: string;
  /** Blob service URL; default https://<account>.blob.core.windows.net. */
  endpoint?: string;
}

export interface FileDestinationConfig {
  type: 'file';
  name: string;
  directory: string;
  prefix: string;
}

export type DestinationConfig = S3DestinationConfig | AzureDestinationConfig | FileDestinationConfig;

export interface ExportSettings {
  destinations: Map<string, DestinationConfig>;
  /** Default size at which a job starts a new file, in bytes before compression. */
  splitBytes: number;
}

export const DEFAULT_SPLIT_BYTES = 256 * 1024 * 1024;
export const MIN_SPLIT_BYTES = 1024;
/** Google Cloud Storage's S3-compatible XML API (with HMAC keys). */
export const GCS_ENDPOINT = 'https://storage.googleapis.com';
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Reads the export settings; throws one VIGIL_ERR_VALIDATION naming every bad setting. */
export function loadExportSettings(env: Env, file: Record<string, unknown> = readConfigFile(env)): ExportSettings {
  const issues: FieldIssue[] = [];
  const fromEnv = env.VIGIL_EXPORT_DESTINATIONS?.trim();
  const [raw, base] = fromEnv ? [parseJson(fromEnv, 'VIGIL_EXPORT_DESTINATIONS'), 'VIGIL_EXPORT_DESTINATIONS'] : [file.destinations ?? {}, 'destinations'];
  const destinations = new Map<string, DestinationConfig>();
  if (!isObject(raw)) issues.push({ path: base, message: 'must be an object of named destinations' });
  else {
    for (const [name, value] of Object.entries(raw)) {
      const d = parseDestination(name, value, `${base}.${name}`, env, issues);
      if (d) destinations.set(name, d);
    }
  }
  const exportSection = isObject(file.export) ? file.export : {};
  const splitBytes = exportSection.split_bytes ?? DEFAULT_SPLIT_BYTES;
  if (!Number.isSafeInteger(splitBytes) || (splitBytes as number) < MIN_SPLIT_BYTES) {
    issues.push({ path: 'export.split_bytes', message: `must be an integer of at least ${MIN_SPLIT_BYTES}` });
  }
  if (issues.length > 0) throw invalid(issues);
  return { destinations, splitBytes: splitBytes as number };
}

function parseDestination(name: string, value: unknown, path: string, env: Env, issues: FieldIssue[]): DestinationConfig | undefined {
  if (!NAME.test(name)) issues.push({ path, message: 'a destination name is 1 to 64 letters, digits, . _ -' });
  if (!isObject(value)) {
    issues.push({ path, message: 'must be an object with a "type"' });
    return undefined;
  }
  const r = new Reader(value, path, env, issues);
  const prefix = normalisePrefix(r.optional('prefix') ?? '');
  const type = r.optional('type');
  let out: DestinationConfig | undefined;
  switch (type) {
    case 's3':
    case 'gcs': {
      const bucket = r.required('bucket');
      const endpoint = r.optional('endpoint') ?? (type === 'gcs' ? GCS_ENDPOINT : undefined);
      const credentials = r.credentials();
      if (type === 'gcs' && !credentials) issues.push({ path: `${path}.credentials`, message: 'GCS needs HMAC keys (access_key_id, secret_access_key)' });
      out = {
        type,
        name,
        bucket,
        prefix,
        region: r.optional('region') ?? (type === 'gcs' ? 'auto' : 'us-east-1'),
        forcePathStyle: r.flag('force_path_style'),
        ...(endpoint === undefined ? {} : { endpoint }),
        ...(credentials ? { credentials } : {}),
      };
      break;
    }
    case 'azure_blob': {
      const connectionString = r.secret('connection_string');
      const account = r.optional('account');
      const accountKey = r.secret('account_key');
      const endpoint = r.optional('endpoint');
      if (!connectionString && !(account && accountKey)) {
        issues.push({ path, message: 'needs connection_string, or account and account_key' });
      }
      out = {
        type,
        name,
        container: r.required('container'),
        prefix,
        ...(connectionString ? { connectionString } : {}),
        ...(account ? { account } : {}),
        ...(accountKey ? { accountKey } : {}),
        ...(endpoint ? { endpoint } : {}),
      };
      break;
    }
    case 'file':
      out = { type, name, directory: r.required('directory'), prefix };
      break;
    default:
      issues.push({ path: `${path}.type`, message: 'must be one of s3, gcs, azure_blob, file' });
  }
  r.rejectUnknown();
  return out;
}

const KNOWN = new Set([
  'type', 'prefix', 'bucket', 'region', 'endpoint', 'force_path_style', 'credentials',
  'container', 'connection_string', 'account', 'account_key', 'directory',
]);

/** Reads one destination's fields, reporting problems by path (never echoing a secret). */
class Reader {
  private readonly used = new Set<string>();

  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly path: string,
    private readonly env: Env,
    private readonly issues: FieldIssue[],
  ) {}

  optional(key: string): string | undefined {
    this.used.add(key);
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') {
      this.issues.push({ path: `${this.path}.${key}`, message: 'must be a non-empty string' });
      return undefined;
    }
    return v;
  }

  required(key: string): string {
    const v = this.optional(key);
    if (v === undefined && this.obj[key] === undefined) this.issues.push({ path: `${this.path}.${key}`, message: 'is required' });
    return v ?? '';
  }

  flag(key: string): boolean {
    this.used.add(key);
    const v = this.obj[key];
    if (v !== undefined && typeof v !== 'boolean') this.issues.push({ path: `${this.path}.${key}`, message: 'must be true or false' });
    return v === true;
  }

  /** A secret: a string, or `{"env": "NAME"}` read from the environment. */
  secret(key: string, obj: Record<string, unknown> = this.obj, path = `${this.path}.${key}`): string | undefined {
    this.used.add(key);
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    if (isObject(v) && typeof v.env === 'string' && Object.keys(v).length === 1) {
      const value = this.env[v.env];
      if (value) return value;
      this.issues.push({ path, message: `environment variable ${v.env} is not set` });
      return undefined;
    }
    this.issues.push({ path, message: 'must be a string or {"env": "VARIABLE"}' });
    return undefined;
  }

  credentials(): S3Credentials | undefined {
    this.used.add('credentials');
    const c = this.obj.credentials;
    if (c === undefined) return undefined;
    const path = `${this.path}.credentials`;
    if (!isObject(c)) {
      this.issues.push({ path, message: 'must be an object with access_key_id and secret_access_key' });
      return undefined;
    }
    const accessKeyId = this.secret('access_key_id', c, `${path}.access_key_id`);
    const secretAccessKey = this.secret('secret_access_key', c, `${path}.secret_access_key`);
    const sessionToken = this.secret('session_token', c, `${path}.session_token`);
    const unknown = Object.keys(c).filter((k) => !['access_key_id', 'secret_access_key', 'session_token'].includes(k));
    if (unknown.length) this.issues.push({ path, message: `unknown field ${unknown.join(', ')}` });
    if (!accessKeyId || !secretAccessKey) {
      this.issues.push({ path, message: 'needs access_key_id and secret_access_key' });
      return undefined;
    }
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }

  rejectUnknown(): void {
    for (const key of Object.keys(this.obj)) {
      if (!KNOWN.has(key)) this.issues.push({ path: `${this.path}.${key}`, message: 'is not a destination setting' });
    }
  }
}

/** `a/b` → `a/b/`; the empty prefix stays empty; leading slashes go. */
function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid([{ path, message: 'is not valid JSON' }]);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every secret a destination holds, so messages can be scrubbed of them. */
export function secretsOf(d: DestinationConfig): string[] {
  switch (d.type) {
    case 's3':
    case 'gcs':
      return d.credentials ? [d.credentials.accessKeyId, d.credentials.secretAccessKey, d.credentials.sessionToken ?? ''].filter(Boolean) : [];
    case 'azure_blob': {
      // The parts of a connection string are secrets on their own too.
      const parts = [...(d.connectionString ?? '').matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/gi)].map((m) => m[1]!);
      return [d.connectionString ?? '', d.accountKey ?? '', ...parts].filter(Boolean);
    }
    case 'file':
      return [];
  }
}
