import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Runs } from '../pages/Runs';
import { CreateRun } from '../pages/CreateRun';
import { Approvals } from '../pages/Approvals';
import { KillSwitches } from '../pages/KillSwitches';
import { RunDetail } from '../pages/RunDetail';
import type { Phase, PhaseStateData, Run } from '../api/types';
import { fakeApi } from './fakeApi';

const calls = fakeApi.calls;

describe('Runs page', () => {
  it('shows loading, then the empty state', async () => {
    fakeApi.handler = () => ({ status: 200, body: { items: [], total: 0, page: 1, page_size: 50 } });
    render(<Runs />);
    expect(screen.getByRole('status').textContent).toContain('Loading');
    expect(await screen.findByText(/No runs yet/)).toBeTruthy();
    expect(calls[0].url).toBe('/api/runs?page_size=50');
  });

  it('shows "network allowed" on the runs whose plan allows the network', async () => {
    const summary = (run_id: string, network: boolean) => ({
      run_id, name: run_id, state: 'QUEUED', repo_path: null, branch: null, token_cap: 100, tokens_used: 0, max_phases: 25, max_duration_minutes: 120,
      sandbox: { network }, pause_reason: null, failure_reason: null, created_at: '2026-12-01T00:00:00Z', started_at: null, completed_at: null,
      progress: { total: 1, completed: 0, failed: 0, executing: 0, queued: 1, percent: 0 },
    });
    fakeApi.handler = () => ({ status: 200, body: { items: [summary('restore', true), summary('offline', false)], total: 2, page: 1, page_size: 50 } });
    render(<Runs />);
    const row = (name: string) => screen.getByRole('link', { name }).closest('tr')!;
    await screen.findByRole('link', { name: 'restore' });
    expect(row('restore').textContent).toContain('network allowed');
    expect(row('offline').textContent).not.toContain('network allowed');
  });

  it('shows the API error with its code and a retry', async () => {
    fakeApi.handler = () => ({ status: 503, body: { status: 503, code: 'database_unavailable', detail: 'The database cannot be reached.' } });
    render(<Runs />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('database_unavailable');
    expect(screen.getByText('Retry')).toBeTruthy();
  });
});

describe('Create run page', () => {
  it('shows the API validation errors next to the plan, per field', async () => {
    fakeApi.handler = () => ({ status: 422, body: { status: 422, code: 'validation_failed', detail: 'The run plan is not consistent.', errors: { 'phases[0].tier_id': ["unknown tier 'T9'"] } } });
    render(<CreateRun />);
    fireEvent.click(screen.getByText('Create run'));
    const list = await screen.findByLabelText('Plan errors');
    expect(list.textContent).toContain('phases[0].tier_id');
    expect(list.textContent).toContain("unknown tier 'T9'");
    expect(calls[0].init?.method).toBe('POST');
  });

  it('refuses text that is not JSON without calling the API', async () => {
    fakeApi.handler = () => ({ status: 500 });
    render(<CreateRun />);
    fireEvent.change(screen.getByLabelText('Plan'), { target: { value: '{oops' } });
    fireEvent.click(screen.getByText('Create run'));
    expect((await screen.findByRole('alert')).textContent).toContain('not valid JSON');
    expect(calls).toHaveLength(0);
  });
});

describe('Approvals page', () => {
  it('approves a pending approval through the API', async () => {
    let decided = false;
    fakeApi.handler = (url) => url.endsWith('/approve')
      ? (decided = true, { status: 200, body: {} })
      : { status: 200, body: { items: decided ? [] : [{ approval_id: 'apr_1', run_id: 'r', phase_id: 'P1', kind: 'SCOPE_VIOLATION', reason: 'touches x', diff: '+a', status: 'PENDING', expires_at: new Date().toISOString(), created_at: '' }] } };
    render(<Approvals />);
    fireEvent.click(await screen.findByText('Approve'));
    await waitFor(() => expect(calls.some((c) => c.url === '/api/approvals/apr_1/approve' && c.init?.method === 'POST')).toBe(true));
    expect(await screen.findByText(/Nothing is waiting/)).toBeTruthy();
  });
});

describe('Kill switches page', () => {
  it('toggles a switch with PUT and shows a 403 as an error', async () => {
    fakeApi.handler = (url, init) => init?.method === 'PUT'
      ? { status: 403, body: { status: 403, code: 'forbidden', title: 'Forbidden' } }
      : { status: 200, body: { items: [{ name: 'disable_all', enabled: false, reason: null, updated_by: null, updated_at: null }] } };
    render(<KillSwitches />);
    fireEvent.click(await screen.findByRole('switch', { name: 'disable_all' }));
    expect((await screen.findByRole('alert')).textContent).toContain('forbidden');
    const put = calls.find((c) => c.init?.method === 'PUT')!;
    expect(put.url).toBe('/api/kill-switches/disable_all');
    expect(JSON.parse(String(put.init!.body)).enabled).toBe(true);
  });
});

describe('Run page', () => {
  const phase: Phase = {
    phase_id: 'P1', tier_id: 'T1', name: 'Greeting', description: '', index: 0, state: 'EXECUTING', complexity: 'low',
    scope: { paths: [], read_only_context: [] }, test_command: null, sandbox: { network: false }, attempts: 1, max_attempts: 5, failure_reason: null, status_reason: null,
    tokens_used: 0, commit_sha: null, claimed_by: 'ex-1', started_at: null, completed_at: null,
  };
  const run: Run = {
    run_id: 'r 1', name: 'Greeting run', state: 'RUNNING', repo_path: null, branch: null, token_cap: 100, tokens_used: 0, max_phases: 25,
    max_duration_minutes: 120, sandbox: { network: false }, pause_reason: null, failure_reason: null, created_at: '', started_at: null, completed_at: null,
    progress: { total: 1, completed: 0, failed: 0, executing: 1, queued: 0, percent: 0 }, tiers: [{ tier_id: 'T1', name: 'Only tier', description: '', index: 0 }],
    phases: [phase],
  };
  const complete: PhaseStateData = { run_id: 'r 1', phase_id: 'P1', state: 'COMPLETE', previous_state: 'EXECUTING', failure_reason: null, status_reason: null, note: null,
    attempts: 1, max_attempts: 5, claimed_by: null, commit_sha: 'abc', tokens_used: 9 };

  it('turns a phase COMPLETE from its live event and then loads the run again', async () => {
    // Like the API: the state has changed by the time its event is streamed.
    let current = run;
    fakeApi.handler = (url) => {
      if (url === '/api/runs/r%201/events') {
        current = { ...run, phases: [{ ...phase, ...complete, completed_at: '2026-12-01T00:00:09Z' }] };
        return { status: 200, text: `: connected\n\nid: 1\nevent: phase.state\ndata: ${JSON.stringify(complete)}\n\n` };
      }
      if (url === '/api/runs/r%201/usage') return { status: 200, body: { total_tokens: 0, by_model: [], timeline: [] } };
      return { status: 200, body: current };
    };
    render(<RunDetail runId="r 1" />);
    await waitFor(() => expect(document.querySelector('[data-phase="P1"] .badge')?.textContent).toBe('COMPLETE'));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/runs/r%201')).toHaveLength(2));
  });

  it('shows "network allowed" on the run and on each phase whose plan allows the network, and nowhere else', async () => {
    const restore = { ...phase, phase_id: 'P2', name: 'Restore packages', sandbox: { network: true } };
    const networked: Run = { ...run, sandbox: { network: true }, phases: [phase, restore] };
    fakeApi.handler = (url) => {
      if (url === '/api/runs/r%201/events') return { status: 200, text: ': connected\n\n' };
      if (url === '/api/runs/r%201/usage') return { status: 200, body: { total_tokens: 0, by_model: [], timeline: [] } };
      return { status: 200, body: networked };
    };
    render(<RunDetail runId="r 1" />);
    const heading = await screen.findByRole('heading', { name: /Greeting run/ });
    expect(heading.textContent).toContain('network allowed');
    expect(document.querySelector('[data-phase="P2"]')?.textContent).toContain('network allowed');
    expect(document.querySelector('[data-phase="P1"]')?.textContent).not.toContain('network allowed');
    expect(screen.getAllByText('network allowed')).toHaveLength(2);
  });

  it('shows no network badge for a plan without the opt-in', async () => {
    fakeApi.handler = (url) => {
      if (url === '/api/runs/r%201/events') return { status: 200, text: ': connected\n\n' };
      if (url === '/api/runs/r%201/usage') return { status: 200, body: { total_tokens: 0, by_model: [], timeline: [] } };
      return { status: 200, body: run };
    };
    render(<RunDetail runId="r 1" />);
    await screen.findByRole('heading', { name: /Greeting run/ });
    expect(screen.queryByText('network allowed')).toBeNull();
  });
});
