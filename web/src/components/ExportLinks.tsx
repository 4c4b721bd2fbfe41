/** Downloads of everything the current filters match (`GET /v1/audit/export`, streamed, no row cap). */
import { withQuery } from '../api.js';

export function ExportLinks({ query }: { query: URLSearchParams }) {
  const href = (format: 'csv' | 'jsonl') => {
    const params = new URLSearchParams(query);
    params.set('format', format);
    return withQuery('/v1/audit/export', params);
  };
  return (
    <div className="export" role="group" aria-label="Export">
      <a className="button" href={href('csv')} download>
        Export CSV
      </a>
      <a className="button" href={href('jsonl')} download>
        Export JSONL
      </a>
    </div>
  );
}
