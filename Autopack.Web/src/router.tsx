import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

/** History-API routing (nginx and the dev server fall back to index.html for every path). */
export function navigate(path: string) {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

/** The dashboard path of a run; the id is free text, so it is encoded. */
export const runPath = (runId: string) => `/runs/${encodeURIComponent(runId)}`;

/** The run id of a runPath, or null for any other path (a malformed escape included: a typed URL must not crash the app). */
export function runIdOf(path: string): string | null {
  const match = /^\/runs\/([^/]+)$/.exec(path);
  if (!match || match[1] === 'new') return null;
  try { return decodeURIComponent(match[1]); } catch { return null; }
}

/** An anchor that navigates in the page on a plain left click and leaves modified clicks (new tab, new window) to the browser. */
export function Link({ to, className, children }: { to: string; className?: string; children: ReactNode }) {
  function onClick(e: MouseEvent<HTMLAnchorElement>) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  }
  return <a href={to} className={className} onClick={onClick}>{children}</a>;
}
