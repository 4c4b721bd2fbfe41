/**
 * The event's place in its tenant's Merkle log: its leaf hash, and whether the browser could
 * verify that the event shown is in the latest signed checkpoint (see ../integrity.ts).
 */
import { useEffect, useState } from 'react';
import { api, withQuery, type StoredEvent } from '../api.js';
import { verifyEvent, type EventWithProof, type Verdict } from '../integrity.js';
import { Field, Section } from './EventDetails.js';

interface Props {
  event: StoredEvent;
  query: URLSearchParams;
}

export function EventIntegrity({ event, query }: Props) {
  const [served, setServed] = useState<EventWithProof | null>(null);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tenant = query.get('tenant');

  useEffect(() => {
    const controller = new AbortController();
    const params = new URLSearchParams(tenant ? { tenant } : {});
    api<EventWithProof>(withQuery(`/v1/audit/logs/${encodeURIComponent(event.id)}`, params), { signal: controller.signal })
      .then(async (answer) => {
        setServed(answer);
        const result = await verifyEvent(event, answer);
        if (!controller.signal.aborted) setVerdict(result);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(err instanceof Error ? err.message : 'not available');
      });
    return () => controller.abort();
  }, [event, tenant]);

  return (
    <Section title="Integrity">
      <Field name="Sequence">{event.seq}</Field>
      <Field name="Leaf hash">{served ? <code className="hash">{served.leaf_hash}</code> : error ? `not available: ${error}` : 'loading…'}</Field>
      <Field name="Proof">
        {verdict?.verified === true && (
          <span className="verified">
            ✓ Verified in your browser: in the signed checkpoint of {verdict.size.toLocaleString()} events ({verdict.origin})
          </span>
        )}
        {verdict?.verified === false && <span className="unverified">✕ Not verified: {verdict.reason}</span>}
        {served && !verdict && 'checking…'}
      </Field>
      <Field name="Checkpoint root">{served?.proof && <code className="hash">{served.proof.root}</code>}</Field>
    </Section>
  );
}
