/**
 * The event list of a view: the first page, then the next one each time the reader nears the end
 * (keyset cursors from `next_cursor`; the server binds each cursor to its filters).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, withQuery, type EventPage, type StoredEvent } from './api.js';

const PAGE_SIZE = 50;

export interface Pages {
  events: StoredEvent[];
  /** No further page. */
  done: boolean;
  loading: boolean;
  error: string | null;
  loadMore(): void;
  /** Asks again for the page that failed. */
  retry(): void;
}

/** What has been loaded, and for which view: rows of another view are never shown. */
interface Loaded {
  key: string;
  events: StoredEvent[];
  cursor: string | null;
  error: string | null;
}

export function useEventPages(query: URLSearchParams): Pages {
  const key = query.toString();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loading, setLoading] = useState(false);
  // The request in flight, set synchronously so that two scroll signals fetch one page.
  const inflight = useRef<AbortController | null>(null);

  const fetchPage = useCallback(
    (after: string | null) => {
      inflight.current?.abort();
      const controller = new AbortController();
      inflight.current = controller;
      const params = new URLSearchParams(key);
      params.set('limit', String(PAGE_SIZE));
      if (after !== null) params.set('cursor', after);
      setLoading(true);
      const settle = (update: (previous: Loaded | null) => Loaded) => {
        if (controller.signal.aborted) return;
        inflight.current = null;
        setLoaded(update);
        setLoading(false);
      };
      api<EventPage>(withQuery('/v1/audit/logs', params), { signal: controller.signal }).then(
        (page) =>
          settle((previous) => ({
            key,
            events: after !== null && previous?.key === key ? [...previous.events, ...page.data] : page.data,
            cursor: page.next_cursor,
            error: null,
          })),
        (err: unknown) =>
          settle((previous) => ({
            key,
            events: previous?.key === key ? previous.events : [],
            cursor: previous?.key === key ? previous.cursor : null,
            error: err instanceof ApiError ? err.message : 'Vigil did not answer; try again.',
          })),
      );
    },
    [key],
  );

  useEffect(() => {
    fetchPage(null);
    return () => inflight.current?.abort();
  }, [fetchPage]);

  const current = loaded?.key === key ? loaded : null;
  const loadMore = useCallback(() => {
    if (inflight.current === null && current?.cursor && !current.error) fetchPage(current.cursor);
  }, [fetchPage, current]);

  const retry = useCallback(() => fetchPage(current?.cursor ?? null), [fetchPage, current]);

  return {
    retry,
    events: current?.events ?? [],
    done: current !== null && current.cursor === null,
    loading: loading || current === null,
    error: current?.error ?? null,
    loadMore,
  };
}
