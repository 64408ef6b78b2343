import { useEffect, useState } from 'react';
import { api, post } from '../api/client';
import { followRunEvents, type SseEvent } from '../api/sse';
import type { Attempt, Phase, Run, Usage } from '../api/types';
import { Bars, Empty, ErrorBox, LineChart, Loading, ProgressBar, StateBadge, messageOf, useLoad } from '../components/ui';

/** Applies one live event to the run on screen (phase and run states), so the page updates without reloading. */
export function applyEvent(run: Run, e: SseEvent): Run {
  const d = e.data as Record<string, unknown>;
  if (e.event === 'phase.state' && run.phases) {
    const phases = run.phases.map((p) => p.phase_id === d.phase_id
      ? { ...p, state: String(d.state), attempts: Number(d.attempts ?? p.attempts), failure_reason: (d.failure_reason as string) ?? null,
          status_reason: (d.status_reason as string) ?? null, commit_sha: (d.commit_sha as string) ?? p.commit_sha, tokens_used: Number(d.tokens_used ?? p.tokens_used) }
      : p);
    const done = phases.filter((p) => p.state === 'COMPLETE' || p.state === 'SKIPPED').length;
    return { ...run, phases, progress: { ...run.progress, completed: done, percent: Math.round((1000 * done) / Math.max(1, phases.length)) / 10 } };
  }
  if (e.event === 'run.state') return { ...run, state: String(d.state), tokens_used: Number(d.tokens_used ?? run.tokens_used), branch: (d.branch as string) ?? run.branch };
  return run;
}

export function RunDetail({ runId }: { runId: string }) {
  const { data: run, error, reload, setData } = useLoad(() => api<Run>(`/runs/${encodeURIComponent(runId)}`), [runId]);
  const usage = useLoad(() => api<Usage>(`/runs/${encodeURIComponent(runId)}/usage`), [runId], 5000);
  const [live, setLive] = useState<'live' | 'reconnecting' | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const reloadUsage = usage.reload;
  useEffect(() => followRunEvents(runId, (e) => {
    setData((r) => (r ? applyEvent(r, e) : r));
    // A finished phase brings timestamps, commits and usage the event does not carry: refresh those views.
    const state = (e.data as Record<string, unknown>)?.state;
    if (state === 'COMPLETE' || state === 'FAILED') { reload(); reloadUsage(); }
  }, setLive), [runId, setData, reload, reloadUsage]);

  if (error) return <ErrorBox message={error} onRetry={reload} />;
  if (!run) return <Loading />;
  const finished = ['COMPLETE', 'FAILED', 'CANCELLED'].includes(run.state);
  const durations = (run.phases ?? []).filter((p) => p.started_at && p.completed_at)
    .map((p) => ({ label: p.phase_id, value: (Date.parse(p.completed_at!) - Date.parse(p.started_at!)) / 1000 }));
  return (
    <section>
      <header className="row">
        <h2>{run.name} <StateBadge state={run.state} /></h2>
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
      <div className="grid2">
        <div className="card"><h3>Token usage over time</h3>
          {usage.data ? <LineChart label="tokens" points={usage.data.timeline.map((p) => ({ x: Date.parse(p.at), y: p.tokens }))} /> : <Loading />}
        </div>
        <div className="card"><h3>Phase durations</h3><Bars items={durations} unit="s" /></div>
      </div>
      <div className="card"><h3>Usage per model</h3>
        {!usage.data ? <Loading /> : usage.data.by_model.length === 0 ? <Empty>No model calls yet.</Empty> : (
          <table><thead><tr><th>Model</th><th>Role</th><th>Calls</th><th>Prompt</th><th>Completion</th></tr></thead>
            <tbody>{usage.data.by_model.map((m) => <tr key={`${m.provider}/${m.model}/${m.role}`}><td>{m.provider}/{m.model}</td><td>{m.role}</td><td>{m.calls}</td><td>{m.prompt_tokens}</td><td>{m.completion_tokens}</td></tr>)}</tbody>
          </table>)}
      </div>
    </section>
  );
}

function PhaseRow({ runId, phase, open, onToggle }: { runId: string; phase: Phase; open: boolean; onToggle: () => void }) {
  return (
    <li data-phase={phase.phase_id}>
      <button className="plain" onClick={onToggle} aria-expanded={open}>
        <StateBadge state={phase.state} /> <strong>{phase.name}</strong> <span className="muted">{phase.phase_id} · attempt {phase.attempts}/{phase.max_attempts}</span>
        {phase.failure_reason && <span className="error-text"> {phase.failure_reason}</span>}
        {phase.status_reason && <span className="muted"> — {phase.status_reason}</span>}
      </button>
      {/* Keyed by state: a phase that moves on has new attempts to show, so the list loads again. */}
      {open && <AttemptList key={phase.state} runId={runId} phaseId={phase.phase_id} />}
    </li>
  );
}

function AttemptList({ runId, phaseId }: { runId: string; phaseId: string }) {
  const { data, error } = useLoad(() => api<{ attempts_detail: Attempt[] }>(`/runs/${encodeURIComponent(runId)}/phases/${encodeURIComponent(phaseId)}`), [runId, phaseId]);
  if (error) return <ErrorBox message={error} />;
  if (!data) return <Loading />;
  if (data.attempts_detail.length === 0) return <Empty>No attempts yet.</Empty>;
  return data.attempts_detail.map((a) => (
    <details key={a.number} open>
      <summary>Attempt {a.number}: {a.outcome}{a.failure_reason ? ` (${a.failure_reason})` : ''} · {a.model ?? 'no model'} · auditor {a.auditor_verdict ?? '–'}</summary>
      {a.diff && <pre className="diff">{a.diff}</pre>}
      {a.test_output && <pre>{a.test_output}</pre>}
    </details>
  ));
}
