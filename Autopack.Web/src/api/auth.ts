import { useSyncExternalStore } from 'react';

const TOKEN = 'autopack.token';
const listeners = new Set<() => void>();

/**
 * The signed-in user's access token, kept in localStorage. Components read it through useSignedIn, so a sign-out from
 * anywhere (the button, a 401 from the API, another tab) re-renders the app to the sign-in page.
 */
export const auth = {
  get token(): string | null { return localStorage.getItem(TOKEN); },
  set(token: string | null) {
    if (token === auth.token) return;
    if (token) localStorage.setItem(TOKEN, token); else localStorage.removeItem(TOKEN);
    listeners.forEach((l) => l());
  },
  subscribe(listener: () => void): () => void {
    // The storage event reports changes made by other tabs; this tab's own changes notify in set().
    const onStorage = (e: StorageEvent) => { if (e.key === TOKEN || e.key === null) listener(); };
    listeners.add(listener);
    addEventListener('storage', onStorage);
    return () => { listeners.delete(listener); removeEventListener('storage', onStorage); };
  },
};

export function useSignedIn(): boolean {
  return useSyncExternalStore(auth.subscribe, () => auth.token !== null);
}
