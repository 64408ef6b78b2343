import type { SseEvent } from '../../api/sse';
import type { Phase, Progress, Run, RunStreamEvent, RunStreamEventName } from '../../api/types';

// Every event name of the union, checked by the compiler: adding a member to RunStreamEvent without listing it fails tsc.
const known: Record<RunStreamEventName, true> = {
  'run.created': true, 'run.state': true, 'phase.state': true, 'phase.attempt': true, 'phase.tests': true,
  'approval.requested': true, 'approval.decided': true, 'usage': true,
};

/** Narrows a parsed SSE event to the run stream's union; an event type this dashboard does not know is null (ignored). */
export function toRunStreamEvent(e: SseEvent): RunStreamEvent | null {
  return Object.hasOwn(known, e.event) && typeof e.data === 'object' && e.data !== null ? (e as RunStreamEvent) : null;
}

/** Applies one live event to the run on screen (phase and run states), so the page updates without reloading. */
export function applyEvent(run: Run, e: RunStreamEvent): Run {
  switch (e.event) {
    case 'phase.state': {
      if (!run.phases) return run;
      const d = e.data;
      const phases = run.phases.map((p) => p.phase_id !== d.phase_id ? p : {
        ...p, state: d.state, attempts: d.attempts, failure_reason: d.failure_reason, status_reason: d.status_reason,
        commit_sha: d.commit_sha ?? p.commit_sha, tokens_used: d.tokens_used,
      });
      return { ...run, phases, progress: progressOf(phases) };
    }
    case 'run.state':
      return { ...run, state: e.data.state, tokens_used: e.data.tokens_used, branch: e.data.branch ?? run.branch };
    default:
      return run;
  }
}

/** A finished phase or run brings timestamps, commits and usage its event does not carry: the page loads those again. */
export function needsReload(e: RunStreamEvent): boolean {
  return (e.event === 'phase.state' || e.event === 'run.state') && (e.data.state === 'COMPLETE' || e.data.state === 'FAILED');
}

/** The API's progress rule (RunContracts.ProgressOf): complete or skipped phases count as done. */
export function progressOf(phases: Phase[]): Progress {
  const count = (...states: Phase['state'][]) => phases.filter((p) => states.includes(p.state)).length;
  const completed = count('COMPLETE', 'SKIPPED');
  return {
    total: phases.length, completed, failed: count('FAILED'), executing: count('EXECUTING', 'GATE', 'CI_RUNNING'), queued: count('QUEUED'),
    percent: phases.length === 0 ? 0 : Math.round((1000 * completed) / phases.length) / 10,
  };
}
