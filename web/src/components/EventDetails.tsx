/** An event in full: what happened, who, to what, what changed, context, request and client, integrity. */
import type { ReactNode } from 'react';
import { actorDisplay } from '../../../src/domain/actor.js';
import type { StoredEvent } from '../api.js';
import { localDate, utcDate } from '../format.js';
import { actorActivity, resourceActivity } from '../query.js';
import { ChangeDiff } from './ChangeDiff.js';
import { EventIntegrity } from './EventIntegrity.js';
import { Outcome } from './Outcome.js';
import { ViewLink } from './ViewLink.js';

interface Props {
  event: StoredEvent;
  query: URLSearchParams;
}

export function EventDetails({ event, query }: Props) {
  const actor = actorDisplay(event.actor);
  const { resource, request, client } = event;
  return (
    <div className="event-details">
      <Section title="What happened">
        <Field name="Action">
          <code>{event.action}</code>
        </Field>
        <Field name="Category">{event.category}</Field>
        <Field name="Operation">{event.crud}</Field>
        <Field name="Log">{event.log}</Field>
        <Field name="Outcome">
          <Outcome outcome={event.outcome} />
        </Field>
        <Field name="Error code">{event.outcome.error_code}</Field>
        <Field name="Occurred">
          {localDate(event.occurred_at)}
          <br />
          <span className="sub">{utcDate(event.occurred_at)}</span>
        </Field>
        <Field name="Received">{utcDate(event.received_at)}</Field>
        <Field name="Source">{event.source}</Field>
        <Field name="Service">{event.service}</Field>
        <Field name="Environment">{event.environment}</Field>
      </Section>

      <Section title="Actor">
        <Field name="Who">
          {actor}{' '}
          <ViewLink to={actorActivity(query, event.actor)} className="activity" aria-label={`View activity of ${actor}`}>
            View activity
          </ViewLink>
        </Field>
        <Field name="Type">{event.actor.type}</Field>
        <Field name="Id">{event.actor.id}</Field>
        <Field name="Name">{event.actor.name}</Field>
        <Field name="Email">{event.actor.email}</Field>
      </Section>

      {resource && (
        <Section title="Resource">
          <Field name="Name">
            {resource.name ?? resource.path ?? resource.id ?? resource.type}{' '}
            <ViewLink to={resourceActivity(query, resource)} className="activity" aria-label={`View activity of ${resource.type} ${resource.name ?? resource.path ?? resource.id ?? ''}`.trim()}>
              View activity
            </ViewLink>
          </Field>
          <Field name="Type">{resource.type}</Field>
          <Field name="Id">{resource.id}</Field>
          <Field name="Path">{resource.path}</Field>
        </Section>
      )}

      {event.changes && event.changes.length > 0 && (
        <section className="detail-section wide">
          <ChangeDiff changes={event.changes} crud={event.crud} />
        </section>
      )}

      {event.context && Object.keys(event.context).length > 0 && (
        <Section title="Context">
          {Object.entries(event.context).map(([k, v]) => (
            <Field key={k} name={k}>
              {String(v)}
            </Field>
          ))}
        </Section>
      )}

      {(request || client || event.session_id) && (
        <Section title="Request and client">
          <Field name="Method">{request?.method}</Field>
          <Field name="Path">{request?.path}</Field>
          <Field name="Status">{event.outcome.status}</Field>
          <Field name="Duration">{request?.duration_ms === undefined ? undefined : `${request.duration_ms} ms`}</Field>
          <Field name="Request id">{request?.id}</Field>
          <Field name="Session id">{event.session_id}</Field>
          <Field name="IP address">{client?.ip}</Field>
          <Field name="Client">{client?.name}</Field>
          <Field name="User agent">{client?.user_agent}</Field>
        </Section>
      )}

      {event.redactions && event.redactions.length > 0 && (
        <Section title="Redacted on the way in">
          <Field name="Fields">{event.redactions.join(', ')}</Field>
        </Section>
      )}

      <EventIntegrity event={event} query={query} />
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="detail-section">
      <h3>{title}</h3>
      <dl>{children}</dl>
    </section>
  );
}

/** One name and value; nothing when the event has no value for it. */
export function Field({ name, children }: { name: string; children: ReactNode }) {
  if (children === undefined || children === null || children === '') return null;
  return (
    <div className="field-row">
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}
