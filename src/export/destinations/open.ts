import type { DestinationConfig } from '../config.js';
import { guarded, type Destination } from './destination.js';

/**
 * A client for a configured destination; its errors never carry the destination's secrets.
 * The cloud SDKs are loaded on first use (together about 30 MB of a server's memory), so a
 * server that never exports to a bucket never pays for them.
 */
export async function openDestination(config: DestinationConfig): Promise<Destination> {
  switch (config.type) {
    case 's3':
    case 'gcs': {
      const { S3Destination } = await import('./s3.js');
      return guarded(new S3Destination(config));
    }
    case 'azure_blob': {
      const { AzureBlobDestination } = await import('./azure-blob.js');
      return guarded(new AzureBlobDestination(config));
    }
    case 'file': {
      const { FileDestination } = await import('./file.js');
      return guarded(new FileDestination(config));
    }
  }
}
