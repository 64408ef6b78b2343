import { api } from '../api/client';
import type { Health, VersionInfo } from '../api/types';
import { ErrorBox, Loading, useLoad } from '../components/ui';

export function SystemPage() {
  const health = useLoad(() => api<Health>('/health'), [], 5000);
  const version = useLoad(() => api<VersionInfo>('/version'), []);
  if (health.error) return <ErrorBox message={health.error} onRetry={health.reload} />;
  if (!health.data) return <Loading />;
  const h = health.data;
  return (
    <section>
      <h2>System</h2>
      <dl className="card kv">
        <dt>Status</dt><dd className={h.status === 'healthy' ? 'ok-text' : 'error-text'}>{h.status}</dd>
        <dt>Component</dt><dd>{h.service} / {h.component}</dd>
        <dt>Database</dt><dd>{h.database}</dd>
        <dt>Database identity</dt><dd><code>{h.database_identity}</code></dd>
        <dt>Vector memory</dt><dd>{h.qdrant}</dd>
        <dt>Version</dt><dd>{h.version}{version.data ? ` (commit ${version.data.commit.slice(0, 12)}, built ${version.data.build_time})` : ''}</dd>
        <dt>Kill switches</dt><dd>{Object.entries(h.kill_switches).filter(([, on]) => on).map(([n]) => n).join(', ') || 'none on'}</dd>
      </dl>
    </section>
  );
}
