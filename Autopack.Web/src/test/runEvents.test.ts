import { describe, expect, it } from 'vitest';
import { SseParser } from '../api/sse';
import type { Phase, PhaseStateData, Run, RunStreamEvent } from '../api/types';
import { applyEvent, needsReload, toRunStreamEvent } from '../pages/run/runEvents';

const phase = (id: string, i: number): Phase => ({
  phase_id: id, tier_id: 'T1', name: id, description: '', index: i, state: 'QUEUED', complexity: 'low',
  scope: { paths: [], read_only_context: [] }, test_command: null, sandbox: { network: false }, attempts: 0, max_attempts: 5, failure_reason: null, status_reason: null,
  tokens_used: 0, commit_sha: null, claimed_by: null, started_at: null, completed_at: null,
});
const run: Run = {
  run_id: 'r', name: 'r', state: 'RUNNING', repo_path: null, branch: null, token_cap: 100, tokens_used: 0, max_phases: 25, max_duration_minutes: 120,
  sandbox: { network: false },
  pause_reason: null, failure_reason: null, created_at: '', started_at: null, completed_at: null,
  progress: { total: 3, completed: 0, failed: 0, executing: 0, queued: 3, percent: 0 },
  phases: ['P1', 'P2', 'P3'].map(phase),
};
// The payload StateChanges.DescribePhase writes.
const phaseState = (phase_id: string, state: PhaseStateData['state'], extra: Partial<PhaseStateData> = {}): RunStreamEvent => ({
  id: 1, event: 'phase.state', data: {
    run_id: 'r', phase_id, state, previous_state: 'EXECUTING', failure_reason: null, status_reason: null, note: null, attempts: 1, max_attempts: 5,
    claimed_by: 'ex-1', commit_sha: null, tokens_used: 40, ...extra,
  },
});

/** Events as the wire carries them: through the SSE parser, then narrowed to the union. */
function fromWire(text: string): (RunStreamEvent | null)[] {
  return new SseParser().push(text).map(toRunStreamEvent);
}

describe('applyEvent', () => {
  it('moves a phase and recomputes progress with the API rule', () => {
    let next = applyEvent(run, phaseState('P1', 'COMPLETE', { commit_sha: 'abc' }));
    next = applyEvent(next, phaseState('P2', 'FAILED', { failure_reason: 'CI_FAILED' }));
    next = applyEvent(next, phaseState('P3', 'CI_RUNNING'));
    expect(next.phases!.map((p) => p.state)).toEqual(['COMPLETE', 'FAILED', 'CI_RUNNING']);
    expect(next.phases![0]).toMatchObject({ commit_sha: 'abc', attempts: 1, tokens_used: 40 });
    expect(next.phases![1].failure_reason).toBe('CI_FAILED');
    expect(next.progress).toEqual({ total: 3, completed: 1, failed: 1, executing: 1, queued: 0, percent: 33.3 });
    expect(run.phases![0].state).toBe('QUEUED');
  });

  it('keeps a commit the event does not repeat', () => {
    const committed = applyEvent(run, phaseState('P1', 'COMPLETE', { commit_sha: 'abc' }));
    expect(applyEvent(committed, phaseState('P1', 'COMPLETE')).phases![0].commit_sha).toBe('abc');
  });

  it('moves the run, with its tokens and branch', () => {
    const [e] = fromWire('id: 4\nevent: run.state\ndata: {"run_id":"r","state":"COMPLETE","previous_state":"RUNNING","reason":null,"tokens_used":77,"token_cap":100,"branch":"autopack/r"}\n\n');
    const next = applyEvent(run, e!);
    expect(next).toMatchObject({ state: 'COMPLETE', tokens_used: 77, branch: 'autopack/r' });
  });

  it('leaves the run as it is for events that carry no state of the page', () => {
    const events = fromWire([
      'id: 5\nevent: phase.attempt\ndata: {"run_id":"r","phase_id":"P1","number":1,"outcome":"RUNNING","executor":"ex-1"}\n\n',
      'id: 6\nevent: usage\ndata: {"run_id":"r","phase_id":"P1","provider":"openai","model":"m","role":"builder","prompt_tokens":3,"completion_tokens":4}\n\n',
      'id: 7\nevent: approval.requested\ndata: {"approval_id":"apr_1","run_id":"r","phase_id":"P1","kind":"MANUAL","reason":"x","status":"PENDING"}\n\n',
    ].join(''));
    expect(events.map((e) => e?.event)).toEqual(['phase.attempt', 'usage', 'approval.requested']);
    for (const e of events) expect(applyEvent(run, e!)).toBe(run);
  });
});

describe('toRunStreamEvent', () => {
  it('knows the test results of an attempt, narrowed to their payload', () => {
    const [e] = fromWire('id: 10\nevent: phase.tests\ndata: {"run_id":"r","phase_id":"P1","attempt":2,"passed":false,"exit_code":1,"timed_out":false,"duration_ms":40,"output_tail":"expected ok"}\n\n');
    expect(e?.event).toBe('phase.tests');
    if (e?.event !== 'phase.tests') throw new Error('not narrowed');
    expect([e.data.attempt, e.data.passed, e.data.exit_code, e.data.output_tail]).toEqual([2, false, 1, 'expected ok']);
    expect(applyEvent(run, e)).toBe(run);
  });

  it('ignores an event type the dashboard does not know, and a payload that is not an object', () => {
    expect(fromWire('id: 8\nevent: run.teleported\ndata: {"run_id":"r"}\n\nid: 9\nevent: run.state\ndata: not json\n\n')).toEqual([null, null]);
  });
});

describe('needsReload', () => {
  it('reloads when a phase or the run finishes, not on other moves', () => {
    expect(needsReload(phaseState('P1', 'COMPLETE'))).toBe(true);
    expect(needsReload(phaseState('P1', 'FAILED'))).toBe(true);
    expect(needsReload(phaseState('P1', 'EXECUTING'))).toBe(false);
    const [created] = fromWire('id: 1\nevent: run.created\ndata: {"run_id":"r","name":"r","phases":3,"tiers":1,"state":"QUEUED"}\n\n');
    expect(needsReload(created!)).toBe(false);
  });
});
