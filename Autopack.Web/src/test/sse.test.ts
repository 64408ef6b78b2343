import { describe, expect, it } from 'vitest';
import { SseParser } from '../api/sse';
import { applyEvent } from '../pages/RunDetail';
import type { Run } from '../api/types';

describe('SseParser', () => {
  it('assembles events split at any byte and ignores heartbeats', () => {
    const p = new SseParser();
    const stream = ': connected\n\nid: 1\nevent: run.created\ndata: {"run_id":"r"}\n\n: ping\n\nid: 2\nevent: phase.state\ndata: {"phase_id":"P1","state":"EXECUTING"}\n\n';
    const events = [];
    for (let i = 0; i < stream.length; i += 7) events.push(...p.push(stream.slice(i, i + 7)));
    expect(events.map((e) => [e.id, e.event])).toEqual([[1, 'run.created'], [2, 'phase.state']]);
    expect(events[1].data).toEqual({ phase_id: 'P1', state: 'EXECUTING' });
  });

  it('keeps an incomplete event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('id: 5\nevent: run.state\ndata: {"state":"RUNNING"}\n')).toEqual([]);
    expect(p.push('\n')).toHaveLength(1);
  });
});

describe('applyEvent', () => {
  const run: Run = {
    run_id: 'r', name: 'r', state: 'RUNNING', repo_path: null, branch: null, token_cap: 100, tokens_used: 0, max_phases: 25, max_duration_minutes: 120,
    pause_reason: null, failure_reason: null, created_at: '', started_at: null, completed_at: null,
    progress: { total: 2, completed: 0, failed: 0, executing: 0, queued: 2, percent: 0 },
    phases: ['P1', 'P2'].map((id, i) => ({ phase_id: id, tier_id: 'T1', name: id, description: '', index: i, state: 'QUEUED', complexity: 'low',
      scope: { paths: [], read_only_context: [] }, test_command: null, attempts: 0, max_attempts: 5, failure_reason: null, status_reason: null,
      tokens_used: 0, commit_sha: null, claimed_by: null, started_at: null, completed_at: null })),
  };

  it('moves a phase and recomputes progress', () => {
    const next = applyEvent(run, { id: 3, event: 'phase.state', data: { phase_id: 'P1', state: 'COMPLETE', attempts: 1, commit_sha: 'abc' } });
    expect(next.phases![0].state).toBe('COMPLETE');
    expect(next.phases![0].commit_sha).toBe('abc');
    expect(next.progress.completed).toBe(1);
    expect(next.progress.percent).toBe(50);
    expect(next.phases![1].state).toBe('QUEUED');
  });

  it('moves the run', () => {
    expect(applyEvent(run, { id: 4, event: 'run.state', data: { state: 'COMPLETE', branch: 'autopack/r' } }).branch).toBe('autopack/r');
  });
});
