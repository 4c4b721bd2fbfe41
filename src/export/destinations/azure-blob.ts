import type { Readable } from 'node:stream';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { AzureDestinationConfig } from '../config.js';
import type { Destination } from './destination.js';

/** Block size and blocks in flight; memory held is at most their product. */
const BLOCK_SIZE = 8 * 1024 * 1024;
const CONCURRENCY = 2;

/**
 * An Azure Blob Storage container, through the official SDK. Streams go up as block blobs
 * (`uploadStream`): the blob is visible only once its block list is committed at the end.
 */
export class AzureBlobDestination implements Destination {
  private readonly container: ContainerClient;

  constructor(readonly config: AzureDestinationConfig) {
    const service = config.connectionString
      ? BlobServiceClient.fromConnectionString(config.connectionString)
      : new BlobServiceClient(
          config.endpoint ?? `https://${config.account}.blob.core.windows.net`,
          new StorageSharedKeyCredential(config.account!, config.accountKey!),
        );
    this.container = service.getContainerClient(config.container);
  }

  async put(key: string, body: Readable, contentType: string, signal?: AbortSignal): Promise<void> {
    await this.container.getBlockBlobClient(key).uploadStream(body, BLOCK_SIZE, CONCURRENCY, {
      blobHTTPHeaders: { blobContentType: contentType },
      ...(signal ? { abortSignal: signal } : {}),
    });
  }

  async get(key: string): Promise<Readable> {
    const response = await this.container.getBlobClient(key).download();
    return response.readableStreamBody as Readable;
  }

  async close(): Promise<void> {}
}
