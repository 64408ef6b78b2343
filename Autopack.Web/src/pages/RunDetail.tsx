import { useEffect, useState } from 'react';
import { api, post } from '../api/client';
import { followRunEvents } from '../api/sse';
import { finishedRunStates, type Run, type Usage } from '../api/types';
import { ErrorBox, Loading, NetworkBadge, ProgressBar, StateBadge, messageOf, useLoad } from '../components/ui';
import { PhaseRow } from './run/PhaseRow';
import { applyEvent, needsReload, toRunStreamEvent } from './run/runEvents';
import { UsagePanel } from './run/UsagePanel';

/** One run, kept current by its live events (the run itself is not polled). */
export function RunDetail({ runId }: { runId: string }) {
  const { data: run, error, reload, setData } = useLoad(() => api<Run>(`/runs/${encodeURIComponent(runId)}`), [runId]);
  const usage = useLoad(() => api<Usage>(`/runs/${encodeURIComponent(runId)}/usage`), [runId], 5000);
  const [live, setLive] = useState<'live' | 'reconnecting' | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const reloadUsage = usage.reload;
  useEffect(() => followRunEvents(runId, (raw) => {
    const e = toRunStreamEvent(raw);
    if (!e) return;
    setData((r) => (r ? applyEvent(r, e) : r));
    if (needsReload(e)) { reload(); reloadUsage(); }
  }, setLive), [runId, setData, reload, reloadUsage]);

  if (error) return <ErrorBox message={error} onRetry={reload} />;
  if (!run) return <Loading />;
  const finished = finishedRunStates.includes(run.state);
  return (
    <section>
      <header className="row">
        <h2>{run.name} <StateBadge state={run.state} />{run.sandbox.network && <> <NetworkBadge of="run" /></>}</h2>
        <span className={`live ${live ?? ''}`}>{live === 'live' ? '● live' : live === 'reconnecting' ? '○ reconnecting' : ''}</span>
        {!finished && <button className="danger" onClick={async () => {
          try { setData(await post<Run>(`/runs/${encodeURIComponent(runId)}/cancel`)); } catch (e) { setActionError(messageOf(e)); }
        }}>Cancel run</button>}
      </header>
      {actionError && <ErrorBox message={actionError} />}
      {run.pause_reason && <p className="warn">Paused: {run.pause_reason}</p>}
      {run.failure_reason && <p className="error">Failed: {run.failure_reason}</p>}
      <p><ProgressBar percent={run.progress.percent} /> {run.progress.completed}/{run.progress.total} phases · tokens {run.tokens_used.toLocaleString()} / {run.token_cap.toLocaleString()}{run.branch ? ` · branch ${run.branch}` : ''}</p>
      {(run.tiers ?? []).map((t) => (
        <div key={t.tier_id} className="card">
          <h3>{t.name} <span className="muted">{t.tier_id}</span></h3>
          <ul className="phases">
            {(run.phases ?? []).filter((p) => p.tier_id === t.tier_id).map((p) => (
              <PhaseRow key={p.phase_id} runId={runId} phase={p} open={open === p.phase_id} onToggle={() => setOpen(open === p.phase_id ? null : p.phase_id)} />
            ))}
          </ul>
        </div>
      ))}
      <UsagePanel usage={usage.data} phases={run.phases ?? []} />
    </section>
  );
}
