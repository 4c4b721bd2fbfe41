/**
 * The events of the view, newest first. Reaching the end of the list loads the next page
 * (IntersectionObserver); "Load more" does the same from the keyboard.
 */
import { useEffect, useRef } from 'react';
import { useEventPages } from '../pages.js';
import { EventRow } from './EventRow.js';

interface Props {
  query: URLSearchParams;
}

export function EventTable({ query }: Props) {
  const { events, done, loading, error, loadMore, retry } = useEventPages(query);
  const sentinel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const target = sentinel.current;
    if (!target) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), { rootMargin: '600px 0px' });
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore]);

  const status = error
    ? null
    : loading
      ? 'Loading events…'
      : events.length === 0
        ? 'No events match these filters.'
        : done
          ? `${events.length} ${events.length === 1 ? 'event' : 'events'}: the end of the log for these filters.`
          : `${events.length} events loaded; scroll for more.`;

  return (
    <section className="events" aria-labelledby="events-title" aria-busy={loading}>
      <h2 id="events-title" className="sr-only">
        Events
      </h2>
      {events.length > 0 && (
        <table>
          <caption className="sr-only">Events, newest first. Expand a row for its details.</caption>
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Details</span>
              </th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Resource</th>
              <th scope="col">Service</th>
              <th scope="col">Client</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          {events.map((event) => (
            <EventRow key={event.id} event={event} query={query} />
          ))}
        </table>
      )}
      <div ref={sentinel} className="sentinel" />
      {error && (
        <p className="error" role="alert">
          {error}{' '}
          <button type="button" onClick={retry}>
            Try again
          </button>
        </p>
      )}
      <p className="list-status" role="status">
        {status}
      </p>
      {!done && !loading && !error && events.length > 0 && (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      )}
    </section>
  );
}
