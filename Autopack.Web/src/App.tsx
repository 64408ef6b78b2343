import { auth, useSignedIn } from './api/auth';
import { Approvals } from './pages/Approvals';
import { CreateRun } from './pages/CreateRun';
import { KillSwitches } from './pages/KillSwitches';
import { Outbox } from './pages/Outbox';
import { RunDetail } from './pages/RunDetail';
import { Runs } from './pages/Runs';
import { SignIn } from './pages/SignIn';
import { SystemPage } from './pages/SystemPage';
import { Link, navigate, runIdOf, usePath } from './router';

const nav = [['/runs', 'Runs'], ['/approvals', 'Approvals'], ['/kill-switches', 'Kill switches'], ['/outbox', 'Outbox'], ['/system', 'System']] as const;

export function App() {
  const path = usePath();
  const signedIn = useSignedIn();
  // Signed out (by the button or a 401), the same path shows the sign-in page and, once signed in, that page again.
  if (!signedIn) return <main><SignIn onSignedIn={() => { if (path === '/' || path === '/signin') navigate('/runs'); }} /></main>;
  return (
    <>
      <nav className="top">
        <strong>Autopack</strong>
        {nav.map(([href, label]) => (
          <Link key={href} to={href} className={path.startsWith(href) ? 'active' : ''}>{label}</Link>
        ))}
        <button className="plain" onClick={() => auth.set(null)}>Sign out</button>
      </nav>
      <main>{route(path)}</main>
    </>
  );
}

function route(path: string) {
  if (path === '/runs/new') return <CreateRun />;
  const runId = runIdOf(path);
  if (runId !== null) return <RunDetail runId={runId} />;
  if (path.startsWith('/approvals')) return <Approvals />;
  if (path.startsWith('/kill-switches')) return <KillSwitches />;
  if (path.startsWith('/outbox')) return <Outbox />;
  if (path.startsWith('/system')) return <SystemPage />;
  return <Runs />;
}
