/** The dashboard's root: the sign-in form until a session exists, then the log viewer. */
import { useCallback, useEffect, useState } from 'react';
import { api, whenUnauthenticated, type SessionView } from './api.js';
import { Dashboard } from './components/Dashboard.js';
import { SignIn } from './components/SignIn.js';

type SessionState = { status: 'checking' } | { status: 'signed-out'; reason?: string } | { status: 'signed-in'; session: SessionView };

export function App() {
  const [state, setState] = useState<SessionState>({ status: 'checking' });

  useEffect(() => {
    whenUnauthenticated(() => setState({ status: 'signed-out', reason: 'Your session ended. Sign in again.' }));
    api<SessionView>('/v1/session', { quiet401: true }).then(
      (session) => setState({ status: 'signed-in', session }),
      () => setState({ status: 'signed-out' }),
    );
  }, []);

  const signOut = useCallback(async () => {
    await api('/v1/session', { method: 'DELETE' }).catch(() => undefined);
    setState({ status: 'signed-out' });
  }, []);

  if (state.status === 'checking') return <p className="loading" role="status">Loading…</p>;
  if (state.status === 'signed-out') {
    return <SignIn reason={state.reason} onSignedIn={(session) => setState({ status: 'signed-in', session })} />;
  }
  return <Dashboard session={state.session} onSignOut={signOut} />;
}
