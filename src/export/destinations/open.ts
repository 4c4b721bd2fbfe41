import type { DestinationConfig } from '../config.js';
import { AzureBlobDestination } from './azure-blob.js';
import { guarded, type Destination } from './destination.js';
import { FileDestination } from './file.js';
import { S3Destination } from './s3.js';

/** A client for a configured destination; its errors never carry the destination's secrets. */
export function openDestination(config: DestinationConfig): Destination {
  switch (config.type) {
    case 's3':
    case 'gcs':
      return guarded(new S3Destination(config));
    case 'azure_blob':
      return guarded(new AzureBlobDestination(config));
    case 'file':
      return guarded(new FileDestination(config));
  }
}
