import { useState } from 'react';
import { api, post } from '../api/client';
import type { DeadLetter, Items, OutboxStats } from '../api/types';
import { Empty, ErrorBox, Loading, messageOf, useLoad } from '../components/ui';

export function Outbox() {
  const stats = useLoad(() => api<OutboxStats>('/admin/outbox/stats'), [], 5000);
  const dlq = useLoad(() => api<Items<DeadLetter>>('/admin/dlq'), [], 5000);
  const [actionError, setActionError] = useState<string | null>(null);
  const retry = async (path: string) => {
    try { await post(path); dlq.reload(); stats.reload(); } catch (e) { setActionError(messageOf(e)); }
  };
  return (
    <section>
      <h2>Outbox</h2>
      {stats.error ? <ErrorBox message={stats.error} onRetry={stats.reload} /> : !stats.data ? <Loading /> : (
        <p className="stats">{Object.entries(stats.data.by_status).map(([s, n]) => <span key={s}><strong>{n}</strong> {s.toLowerCase()}</span>)}
          <span><strong>{stats.data.stuck}</strong> stuck</span>
          <span>oldest pending: {stats.data.oldest_pending_age_seconds ?? '–'} s</span></p>)}
      <header className="row"><h3>Dead letters</h3><button onClick={() => retry('/admin/dlq/retry-all')}>Retry all</button></header>
      {actionError && <ErrorBox message={actionError} />}
      {dlq.error ? <ErrorBox message={dlq.error} onRetry={dlq.reload} /> : !dlq.data ? <Loading /> : dlq.data.items.length === 0 ? <Empty>No dead letters.</Empty> : (
        <table><thead><tr><th>Type</th><th>To</th><th>Attempts</th><th>Last error</th><th>Dead at</th><th /></tr></thead>
          <tbody>{dlq.data.items.map((d) => (
            <tr key={d.id}><td>{d.type}</td><td>{d.destination}</td><td>{d.attempts}</td><td>{d.last_error}</td><td>{new Date(d.dead_at).toLocaleString()}</td>
              <td>{d.replayed_at ? 'replayed' : <button onClick={() => retry(`/admin/dlq/${d.id}/retry`)}>Retry</button>}</td></tr>))}</tbody>
        </table>)}
    </section>
  );
}
