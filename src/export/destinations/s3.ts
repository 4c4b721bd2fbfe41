import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3DestinationConfig } from '../config.js';
import type { Destination } from './destination.js';

/** Part size of multipart uploads; memory held is at most PART_SIZE × QUEUE_SIZE. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/**
 * An S3-compatible bucket, through the official AWS SDK; also Google Cloud Storage through its
 * S3-compatible XML API with HMAC keys (type `gcs`). Streams of unknown length go up as
 * multipart uploads (lib-storage), which become visible only when completed.
 */
export class S3Destination implements Destination {
  private readonly client: S3Client;

  constructor(readonly config: S3DestinationConfig) {
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // GCS's XML API does not take the SDK's default CRC checksums (nor do some S3-compatible
      // servers); Vigil checks each file by its own SHA-256 in the manifest instead.
      ...(config.type === 'gcs' ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    });
  }

  async put(key: string, body: Readable, contentType: string, signal?: AbortSignal): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: key, Body: body, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async get(key: string): Promise<Readable> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }));
    return out.Body as Readable;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
