/** The tenant's latest signed checkpoint: how many events the signed tree covers, and when it was signed. */
import { useEffect, useState } from 'react';
import { api, withQuery } from '../api.js';
import { dateTitle, relativeTime } from '../format.js';

/** `GET /v1/audit/checkpoint`. */
interface Checkpoint {
  origin: string;
  size: number;
  /** base64 */
  root: string;
  note: string;
  created_at: string;
}

export function IntegrityStatus({ tenant }: { tenant: string | null }) {
  const [checkpoint, setCheckpoint] = useState<Checkpoint | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    api<Checkpoint>(withQuery('/v1/audit/checkpoint', new URLSearchParams(tenant ? { tenant } : {})), { signal: controller.signal }).then(setCheckpoint, (err: unknown) => {
      if (!controller.signal.aborted) setError(err instanceof Error ? err.message : 'unavailable');
    });
    return () => controller.abort();
  }, [tenant]);

  if (error) return <p className="integrity muted small">Integrity: {error}</p>;
  if (!checkpoint) return <p className="integrity muted small">Integrity: loading…</p>;
  return (
    <p className="integrity small" title={`${checkpoint.origin}, root ${checkpoint.root}`}>
      <svg className="shield" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path d="M8 1l6 2.2v4.3c0 3.6-2.5 6.3-6 7.5-3.5-1.2-6-3.9-6-7.5V3.2L8 1z" />
        <path d="M5 8l2 2 4-4" className="tick" />
      </svg>{' '}
      Signed checkpoint: {checkpoint.size.toLocaleString()} events,{' '}
      <time dateTime={checkpoint.created_at} title={dateTitle(checkpoint.created_at)}>
        {relativeTime(checkpoint.created_at)}
      </time>
    </p>
  );
}
