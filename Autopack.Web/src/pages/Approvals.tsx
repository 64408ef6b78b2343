import { useState } from 'react';
import { api, post } from '../api/client';
import type { Approval, Items } from '../api/types';
import { Empty, ErrorBox, Loading, messageOf, useLoad } from '../components/ui';

/** Pending approvals, large buttons: made to be used on a phone. */
export function Approvals() {
  const { data, error, reload } = useLoad(() => api<Items<Approval>>('/approvals?status=PENDING'), [], 3000);
  const [actionError, setActionError] = useState<string | null>(null);
  if (error) return <ErrorBox message={error} onRetry={reload} />;
  if (!data) return <Loading />;
  async function decide(a: Approval, verb: 'approve' | 'reject') {
    setActionError(null);
    try { await post(`/approvals/${a.approval_id}/${verb}`, {}); reload(); } catch (e) { setActionError(messageOf(e)); }
  }
  return (
    <section>
      <h2>Approvals</h2>
      {actionError && <ErrorBox message={actionError} />}
      {data.items.length === 0 ? <Empty>Nothing is waiting for a decision.</Empty> : data.items.map((a) => (
        <article key={a.approval_id} className="card approval" data-approval={a.approval_id}>
          <h3>{a.kind.replace(/_/g, ' ').toLowerCase()} · run {a.run_id}{a.phase_id ? ` / ${a.phase_id}` : ''}</h3>
          <p>{a.reason}</p>
          {a.diff && <pre className="diff">{a.diff}</pre>}
          <p className="muted">Expires {new Date(a.expires_at).toLocaleString()} (then rejected)</p>
          <div className="actions">
            <button className="ok" onClick={() => decide(a, 'approve')}>Approve</button>
            <button className="danger" onClick={() => decide(a, 'reject')}>Reject</button>
          </div>
        </article>
      ))}
    </section>
  );
}
