/** A multi-select over a fixed list: a disclosure of checkboxes whose summary says what is chosen. */
import { useState } from 'react';

interface Props {
  label: string;
  name: string;
  options: readonly string[];
  selected: string[];
  onChange(name: string, values: string[]): void;
}

export function MultiCheck({ label, name, options, selected, onChange }: Props) {
  // Values from a link that the list does not know stay visible and removable.
  const all = [...new Set([...options, ...selected])];
  // Open at first when something is chosen; afterwards the reader opens and closes it.
  const [openAtFirst] = useState(selected.length > 0);
  const toggle = (value: string, on: boolean) => onChange(name, on ? [...selected, value] : selected.filter((v) => v !== value));
  return (
    <details className="multi" open={openAtFirst || undefined}>
      <summary>
        {label}
        {selected.length > 0 && <span className="selected">: {selected.join(', ')}</span>}
      </summary>
      <fieldset>
        <legend className="sr-only">{label}</legend>
        {all.map((option) => (
          <label key={option} className="check">
            <input type="checkbox" name={name} value={option} checked={selected.includes(option)} onChange={(e) => toggle(option, e.target.checked)} />
            {option}
          </label>
        ))}
      </fieldset>
    </details>
  );
}
