/**
 * Sign-in with an API key or a viewer token. The key goes to `POST /v1/session` once and is
 * dropped from the page; the server answers with an httpOnly session cookie.
 */
import { useState, type FormEvent } from 'react';
import { api, ApiError, type SessionView } from '../api.js';

interface Props {
  reason?: string | undefined;
  onSignedIn(session: SessionView): void;
}

export function SignIn({ reason, onSignedIn }: Props) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api<SessionView>('/v1/session', { method: 'POST', body: { key: key.trim() }, quiet401: true });
      setKey('');
      onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Vigil did not answer. Is the server running?');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          <span className="brand-mark" aria-hidden="true">V</span> Vigil
        </h1>
        <p className="muted">Tamper-evident audit log. Sign in with an API key or a viewer token.</p>
        {reason && <p className="notice">{reason}</p>}
        <label htmlFor="api-key">API key or viewer token</label>
        <input
          id="api-key"
          name="key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="vk_…"
          aria-describedby={error ? 'sign-in-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        {error && (
          <p id="sign-in-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">The key is sent once; the browser keeps only a session cookie that scripts cannot read.</p>
      </form>
    </main>
  );
}
