import { api } from '../api/client';
import type { RunPage } from '../api/types';
import { Empty, ErrorBox, Loading, NetworkBadge, ProgressBar, StateBadge, useLoad } from '../components/ui';
import { Link, navigate, runPath } from '../router';

export function Runs() {
  const { data, error, reload } = useLoad(() => api<RunPage>('/runs?page_size=50'), [], 3000);
  if (error) return <ErrorBox message={error} onRetry={reload} />;
  if (!data) return <Loading />;
  return (
    <section>
      <header className="row"><h2>Runs ({data.total})</h2><button onClick={() => navigate('/runs/new')}>New run</button></header>
      {data.items.length === 0 ? <Empty>No runs yet. Create one from a plan.</Empty> : (
        <table>
          <thead><tr><th>Run</th><th>State</th><th>Progress</th><th>Tokens</th><th>Created</th></tr></thead>
          <tbody>
            {data.items.map((r) => (
              // The whole row is clickable; a click on the link is the link's (one history entry; ctrl-click opens a tab).
              <tr key={r.run_id} onClick={(e) => { if (!(e.target as Element).closest('a')) navigate(runPath(r.run_id)); }} className="link">
                <td><Link to={runPath(r.run_id)}>{r.name}</Link><div className="muted">{r.run_id}</div></td>
                <td><StateBadge state={r.state} />{r.sandbox.network && <> <NetworkBadge of="run" /></>}</td>
                <td><ProgressBar percent={r.progress.percent} /> {r.progress.completed}/{r.progress.total}</td>
                <td>{r.tokens_used.toLocaleString()} / {r.token_cap.toLocaleString()}</td>
                <td>{new Date(r.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
