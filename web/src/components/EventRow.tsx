/** One event as a table row; it expands (click, or Enter/Space on its button) into its details. */
import { useId, useState, type MouseEvent } from 'react';
import { actorDisplay } from '../../../src/domain/actor.js';
import type { StoredEvent } from '../api.js';
import { clientLabel, dateTitle, relativeTime, resourceLabel } from '../format.js';
import { Badge } from './Badge.js';
import { EventDetails } from './EventDetails.js';
import { Outcome } from './Outcome.js';

interface Props {
  event: StoredEvent;
  query: URLSearchParams;
}

export function EventRow({ event, query }: Props) {
  const [expanded, setExpanded] = useState(false);
  const detailsId = useId();
  const actor = actorDisplay(event.actor);

  function toggleFromRow(e: MouseEvent<HTMLTableRowElement>) {
    // Links and buttons in the row do their own thing; a click elsewhere toggles.
    if ((e.target as HTMLElement).closest('a, button, input')) return;
    setExpanded((x) => !x);
  }

  return (
    <tbody className={expanded ? 'event expanded' : 'event'}>
      <tr className="summary" onClick={toggleFromRow}>
        <td className="toggle">
          <button type="button" aria-expanded={expanded} aria-controls={detailsId} aria-label={`Details: ${event.action} by ${actor}`} onClick={() => setExpanded((x) => !x)}>
            <span aria-hidden="true">{expanded ? '▾' : '▸'}</span>
          </button>
        </td>
        <td data-label="Time">
          <div className="cell">
            <time dateTime={event.occurred_at} title={dateTitle(event.occurred_at)}>
              {relativeTime(event.occurred_at)}
            </time>
          </div>
        </td>
        <td data-label="Actor">
          <div className="cell actor" title={`${event.actor.type} ${event.actor.id}`}>
            {actor}
          </div>
        </td>
        <td data-label="Action">
          <div className="cell">
            <code className="action">{event.action}</code>
            <span className="sub">
              {event.log !== 'audit' && <Badge kind="log">{event.log}</Badge>} {event.category}
            </span>
          </div>
        </td>
        <td data-label="Resource">
          {event.resource && (
            <div className="cell">
              <span className="resource">{resourceLabel(event.resource)}</span>
              <span className="sub">{event.resource.type}</span>
            </div>
          )}
        </td>
        <td data-label="Service">
          {(event.service || event.environment) && (
            <div className="cell">
              {event.service && <Badge kind="service">{event.service}</Badge>}
              {event.environment && <Badge kind="environment">{event.environment}</Badge>}
            </div>
          )}
        </td>
        <td data-label="Client">
          {event.client && (
            <div className="cell">
              {clientLabel(event.client)}
              {event.client.ip && <span className="sub ip">{event.client.ip}</span>}
            </div>
          )}
        </td>
        <td data-label="Outcome">
          <div className="cell">
            <Outcome outcome={event.outcome} />
          </div>
        </td>
      </tr>
      <tr className="details" id={detailsId} hidden={!expanded}>
        <td colSpan={8}>{expanded && <EventDetails event={event} query={query} />}</td>
      </tr>
    </tbody>
  );
}
