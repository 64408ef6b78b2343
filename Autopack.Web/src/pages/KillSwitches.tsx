import { useState } from 'react';
import { api, put } from '../api/client';
import type { Items, KillSwitch } from '../api/types';
import { ErrorBox, Loading, messageOf, useLoad } from '../components/ui';

export function KillSwitches() {
  const { data, error, reload } = useLoad(() => api<Items<KillSwitch>>('/kill-switches'), []);
  const [actionError, setActionError] = useState<string | null>(null);
  if (error) return <ErrorBox message={error} onRetry={reload} />;
  if (!data) return <Loading />;
  return (
    <section>
      <h2>Kill switches</h2>
      <p className="muted">Stored in the database: every API replica and executor sees a change within seconds. Admins only.</p>
      {actionError && <ErrorBox message={actionError} />}
      <ul className="switches">
        {data.items.map((k) => (
          <li key={k.name}>
            <label>
              <input type="checkbox" role="switch" aria-label={k.name} checked={k.enabled} onChange={async (e) => {
                setActionError(null);
                try { await put(`/kill-switches/${k.name}`, { enabled: e.target.checked, reason: 'dashboard' }); reload(); }
                catch (err) { setActionError(messageOf(err)); }
              }} />
              <code>{k.name}</code> {k.enabled ? <strong className="error-text">ON</strong> : 'off'}
            </label>
            {k.updated_by && <span className="muted"> by {k.updated_by}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
