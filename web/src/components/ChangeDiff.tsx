/**
 * What an event changed. Updates: field by field, the old value in red and the new in green.
 * Creates and deletes: every field as it was at that moment.
 */
import type { Change, Crud } from '../../../src/domain/event.js';
import { isRedacted, valueText } from '../format.js';

interface Props {
  changes: Change[];
  crud: Crud;
}

export function ChangeDiff({ changes, crud }: Props) {
  if (crud === 'create' || crud === 'delete') {
    const title = crud === 'create' ? 'Fields at creation' : 'Fields at deletion';
    return (
      <table className="diff snapshot">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((c) => {
            const value = crud === 'create' ? c.new ?? c.old : c.old ?? c.new;
            return (
              <tr key={c.field}>
                <th scope="row">{c.field}</th>
                <td className={isRedacted(value) ? 'masked' : undefined}>{valueText(value)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }
  return (
    <table className="diff">
      <caption>Changes</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Old value</th>
          <th scope="col">New value</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field}>
            <th scope="row">{c.field}</th>
            <td className="diff-old">{c.old === undefined ? <span className="none">—</span> : <del>{valueText(c.old)}</del>}</td>
            <td className="diff-new">{c.new === undefined ? <span className="none">—</span> : <ins>{valueText(c.new)}</ins>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
