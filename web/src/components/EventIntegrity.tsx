/** The event's place in its tenant's Merkle log: its leaf hash, and whether its inclusion proof checks out. */
import { useEffect, useState } from 'react';
import { api, withQuery, type StoredEvent } from '../api.js';
import { Field, Section } from './EventDetails.js';

interface Props {
  event: StoredEvent;
  query: URLSearchParams;
}

/** The single-event read: the stored event plus its leaf hash. */
interface EventWithLeaf extends StoredEvent {
  leaf_hash?: string;
}

export function EventIntegrity({ event, query }: Props) {
  const [leaf, setLeaf] = useState<EventWithLeaf | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tenant = query.get('tenant');

  useEffect(() => {
    const controller = new AbortController();
    const params = new URLSearchParams(tenant ? { tenant } : {});
    api<EventWithLeaf>(withQuery(`/v1/audit/logs/${encodeURIComponent(event.id)}`, params), { signal: controller.signal }).then(setLeaf, (err: unknown) => {
      if (!controller.signal.aborted) setError(err instanceof Error ? err.message : 'not available');
    });
    return () => controller.abort();
  }, [event.id, tenant]);

  return (
    <Section title="Integrity">
      <Field name="Sequence">{event.seq}</Field>
      <Field name="Leaf hash">{leaf?.leaf_hash ? <code className="hash">{leaf.leaf_hash}</code> : error ? `not available: ${error}` : leaf ? 'not available' : 'loading…'}</Field>
    </Section>
  );
}
