import type { Outcome as OutcomeInfo } from '../../../src/domain/event.js';

/** Success or failure in words and colour, with the status and, for denials, the reason. */
export function Outcome({ outcome }: { outcome: OutcomeInfo }) {
  const status = outcome.status ? ` ${outcome.status}` : '';
  if (outcome.success) return <span className="outcome ok">✓ Success{status}</span>;
  const denied = outcome.status === 401 || outcome.status === 403 || (outcome.reason ?? null) !== null;
  return (
    <span className="outcome failed">
      ✕ {denied ? 'Denied' : 'Failed'}
      {status}
      {outcome.reason && <span className="reason">{outcome.reason}</span>}
      {!outcome.reason && outcome.error_code && <span className="reason">{outcome.error_code}</span>}
    </span>
  );
}
