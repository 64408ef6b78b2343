import { api } from '../../api/client';
import type { Phase, PhaseDetail } from '../../api/types';
import { Empty, ErrorBox, Loading, NetworkBadge, StateBadge, useLoad } from '../../components/ui';

/** One phase of the run page; opened, it lists the phase's attempts with their diffs and test output. */
export function PhaseRow({ runId, phase, open, onToggle }: { runId: string; phase: Phase; open: boolean; onToggle: () => void }) {
  return (
    <li data-phase={phase.phase_id}>
      <button className="plain" onClick={onToggle} aria-expanded={open}>
        <StateBadge state={phase.state} /> <strong>{phase.name}</strong> <span className="muted">{phase.phase_id} · attempt {phase.attempts}/{phase.max_attempts}</span>
        {phase.sandbox.network && <> <NetworkBadge of="phase" /></>}
        {phase.failure_reason && <span className="error-text"> {phase.failure_reason}</span>}
        {phase.status_reason && <span className="muted"> — {phase.status_reason}</span>}
      </button>
      {/* Keyed by state: a phase that moves on has new attempts to show, so the list loads again. */}
      {open && <AttemptList key={phase.state} runId={runId} phaseId={phase.phase_id} />}
    </li>
  );
}

function AttemptList({ runId, phaseId }: { runId: string; phaseId: string }) {
  const { data, error } = useLoad(() => api<PhaseDetail>(`/runs/${encodeURIComponent(runId)}/phases/${encodeURIComponent(phaseId)}`), [runId, phaseId]);
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
