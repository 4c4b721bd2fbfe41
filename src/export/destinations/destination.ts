import type { Readable } from 'node:stream';
import { secretsOf, type DestinationConfig } from '../config.js';

/**
 * Where an export job writes its files: a bucket, a container or a directory. Keys are whole
 * object keys (the job puts the configured prefix in front); a file key is relative to the
 * directory.
 */
export interface Destination {
  readonly config: DestinationConfig;
  /**
   * Stores `body` under `key`. Resolves once the object is complete and durable; until then
   * nothing (or the previous object) is visible under `key`: multipart uploads and block blobs
   * commit at the end, files are renamed into place.
   */
  put(key: string, body: Readable, contentType: string, signal?: AbortSignal): Promise<void>;
  /** The stored object's bytes, for verifying checksums after an upload. */
  get(key: string): Promise<Readable>;
  close(): Promise<void>;
}

/** What a manifest, an API answer or a log line may say about a destination: never credentials. */
export interface DestinationInfo {
  name: string;
  type: DestinationConfig['type'];
  /** `s3://bucket/prefix`, `azure_blob://container/prefix`, `file:///dir/prefix`. */
  location: string;
}

export function destinationInfo(d: DestinationConfig): DestinationInfo {
  const place = d.type === 'file' ? `${d.directory.replace(/\/+$/, '')}/` : d.type === 'azure_blob' ? `${d.container}/` : `${d.bucket}/`;
  return { name: d.name, type: d.type, location: `${d.type === 'file' ? 'file://' : `${d.type}://`}${place}${d.prefix}` };
}

/**
 * Wraps a destination so every failure names the destination and never carries a configured
 * secret, whatever the SDK put in its message.
 */
export function guarded(inner: Destination): Destination {
  const secrets = secretsOf(inner.config);
  const wrap = (err: unknown): Error => {
    let message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    for (const s of secrets) message = message.split(s).join('[REDACTED]');
    const out = new Error(`destination "${inner.config.name}" (${inner.config.type}): ${message}`);
    out.name = 'DestinationError';
    return out;
  };
  return {
    config: inner.config,
    put: (key, body, contentType, signal) => inner.put(key, body, contentType, signal).catch((err) => Promise.reject(wrap(err))),
    get: (key) => inner.get(key).catch((err) => Promise.reject(wrap(err))),
    close: () => inner.close(),
  };
}
