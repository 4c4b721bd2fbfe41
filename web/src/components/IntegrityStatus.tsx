/** The tenant's latest checkpoint: how many events the signed tree covers, and when it was signed. */
import { useEffect, useState } from 'react';
import { api, withQuery } from '../api.js';
import { dateTitle, relativeTime } from '../format.js';

export interface Checkpoint {
  size: number;
  root_hash: string;
  timestamp?: string;
}

export function IntegrityStatus({ tenant }: { tenant: string | null }) {
  const [checkpoint, setCheckpoint] = useState<Checkpoint | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api<Checkpoint>(withQuery('/v1/audit/checkpoint', new URLSearchParams(tenant ? { tenant } : {})), { signal: controller.signal }).then(setCheckpoint, (err: unknown) => {
      if (!controller.signal.aborted) setError(err instanceof Error ? err.message : 'unavailable');
    });
    return () => controller.abort();
  }, [tenant]);

  if (error) return <p className="integrity muted small">Integrity: {error}</p>;
  if (!checkpoint) return <p className="integrity muted small">Integrity: loading…</p>;
  return (
    <p className="integrity small" title={`Root ${checkpoint.root_hash}`}>
      <span className="shield" aria-hidden="true">
        ⛨
      </span>{' '}
      Signed checkpoint: {checkpoint.size.toLocaleString()} events
      {checkpoint.timestamp && (
        <>
          , <time dateTime={checkpoint.timestamp} title={dateTitle(checkpoint.timestamp)}>{relativeTime(checkpoint.timestamp)}</time>
        </>
      )}
    </p>
  );
}
