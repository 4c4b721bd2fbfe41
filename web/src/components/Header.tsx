/** The top bar: who is signed in, the tenant a platform key reads, and sign-out. */
import { useId, useState, type FormEvent } from 'react';
import type { SessionView } from '../api.js';
import { useNavigate } from './ViewLink.js';

interface Props {
  session: SessionView;
  tenant: string | null;
  onSignOut(): void;
}

export function Header({ session, tenant, onSignOut }: Props) {
  return (
    <header className="top">
      <a className="brand" href="/">
        <span className="brand-mark" aria-hidden="true">
          V
        </span>
        Vigil
      </a>
      {session.tenant !== null ? <span className="tenant">Tenant {session.tenant}</span> : tenant !== null && <TenantPicker tenant={tenant} />}
      <span className="who">
        {session.name} <span className="muted">({session.role})</span>
      </span>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

/** A platform key reads one tenant at a time; the tenant is part of the view's link. */
export function TenantPicker({ tenant }: { tenant: string | null }) {
  const navigate = useNavigate();
  const id = useId();
  const [text, setText] = useState(tenant ?? '');
  function open(event: FormEvent) {
    event.preventDefault();
    if (text.trim() !== '') navigate(new URLSearchParams({ tenant: text.trim() }));
  }
  return (
    <form className="tenant-picker" onSubmit={open}>
 <label htmlFor={id}>Tenant</label>
      <input id={id} value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" spellCheck={false} required />
      <button type="submit">Open tenant</button>
    </form>
  );
}
