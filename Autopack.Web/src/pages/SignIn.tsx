import { useState, type FormEvent } from 'react';
import { auth, post } from '../api/client';
import type { LoginResponse } from '../api/types';
import { ErrorBox, messageOf } from '../components/ui';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await post<LoginResponse>('/auth/login', { username, password });
      auth.set(r.access_token);
      onSignedIn();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card signin" onSubmit={submit}>
      <h1>Autopack</h1>
      <label>Username <input name="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required /></label>
      <label>Password <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required /></label>
      {error && <ErrorBox message={error} />}
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  );
}
