/**
 * A multi-select over open-ended values (actions, services…): chosen values as removable chips,
 * and a field with suggestions to add more (Enter or leaving the field adds what was typed).
 */
import { useId, useState, type KeyboardEvent } from 'react';

interface Props {
  label: string;
  name: string;
  values: string[];
  suggestions: { value: string; label?: string }[];
  hint?: string;
  onChange(name: string, values: string[]): void;
}

export function ChipInput({ label, name, values, suggestions, hint, onChange }: Props) {
  const id = useId();
  const [text, setText] = useState('');

  function add() {
    const typed = text
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '' && !values.includes(v));
    if (typed.length > 0) onChange(name, [...values, ...typed]);
    setText('');
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    // Enter adds the value; on an empty field it submits the form (Apply) as usual.
    if (event.key === 'Enter' && text.trim() !== '') {
      event.preventDefault();
      add();
    }
  }

  return (
    <fieldset className="chips">
      <legend>{label}</legend>
      {values.length > 0 && (
        <ul className="chip-list">
          {values.map((value) => (
            <li key={value} className="chip">
              <span>{value}</span>
              <button type="button" aria-label={`Remove ${label.toLowerCase()} ${value}`} onClick={() => onChange(name, values.filter((v) => v !== value))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        id={id}
        type="text"
        list={`${id}-suggestions`}
        aria-label={`Add ${label.toLowerCase()}`}
        aria-describedby={hint ? `${id}-hint` : undefined}
        value={text}
        placeholder="Add…"
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={add}
      />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      <datalist id={`${id}-suggestions`}>
        {suggestions
          .filter((s) => !values.includes(s.value))
          .map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
      </datalist>
    </fieldset>
  );
}
