import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { App } from '../App';
import { fakeApi } from './fakeApi';

const emptyPage = { items: [], total: 0, page: 1, page_size: 50 };

describe('App sign-in', () => {
  it('signs the user out when the API answers 401, and back in on the same page', async () => {
    localStorage.setItem('autopack.token', 'expired-token');
    history.replaceState(null, '', '/approvals');
    let tokenValid = false;
    fakeApi.handler = (url) => {
      if (url === '/api/auth/login') return (tokenValid = true, { status: 200, body: { access_token: 'fresh-token' } });
      if (!tokenValid) return { status: 401, body: { status: 401, code: 'unauthorized', title: 'Unauthorized' } };
      return { status: 200, body: { items: [] } };
    };
    render(<App />);

    expect(await screen.findByLabelText('Username')).toBeTruthy();
    expect(localStorage.getItem('autopack.token')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();

    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'admin' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'change-me-please' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText(/Nothing is waiting/)).toBeTruthy();
    expect(location.pathname).toBe('/approvals');
    const last = fakeApi.calls.at(-1)!;
    expect(new Headers(last.init?.headers).get('authorization')).toBe('Bearer fresh-token');
  });

  it('shows a refused sign-in as an error and stays on the sign-in page', async () => {
    fakeApi.handler = () => ({ status: 401, body: { status: 401, code: 'invalid_credentials', detail: 'Wrong username or password.' } });
    render(<App />);
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'admin' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('invalid_credentials');
  });
});

describe('Navigation', () => {
  const run = {
    run_id: 'nightly #2/b', name: 'Nightly', state: 'RUNNING', repo_path: null, branch: null, token_cap: 100, tokens_used: 0, max_phases: 25,
    max_duration_minutes: 120, sandbox: { network: false }, pause_reason: null, failure_reason: null, created_at: '2026-12-01T00:00:00Z', started_at: null, completed_at: null,
    progress: { total: 1, completed: 0, failed: 0, executing: 1, queued: 0, percent: 0 },
  };

  async function showRuns() {
    localStorage.setItem('autopack.token', 'token');
    history.replaceState(null, '', '/runs');
    fakeApi.handler = (url) => url.startsWith('/api/runs?') ? { status: 200, body: { ...emptyPage, items: [run], total: 1 } } : { status: 200, body: null };
    render(<App />);
    return screen.findByRole('link', { name: 'Nightly' });
  }

  it('pushes one history entry per click on a run link, with the run id URL-encoded', async () => {
    const link = await showRuns();
    expect(link.getAttribute('href')).toBe('/runs/nightly%20%232%2Fb');
    const before = history.length;
    fireEvent.click(link);
    expect(history.length).toBe(before + 1);
    expect(location.pathname).toBe('/runs/nightly%20%232%2Fb');
    await waitFor(() => expect(fakeApi.calls.some((c) => c.url === '/api/runs/nightly%20%232%2Fb')).toBe(true));
  });

  it('pushes one history entry per click elsewhere on the run row', async () => {
    const link = await showRuns();
    const before = history.length;
    fireEvent.click(link.closest('tr')!.querySelector('td:nth-child(2)')!);
    expect(history.length).toBe(before + 1);
    expect(location.pathname).toBe('/runs/nightly%20%232%2Fb');
  });

  it('shows the runs for a run path whose escape is malformed, instead of failing', async () => {
    localStorage.setItem('autopack.token', 'token');
    history.replaceState(null, '', '/runs/%E0%A4%A');
    fakeApi.handler = () => ({ status: 200, body: emptyPage });
    render(<App />);
    expect(await screen.findByText(/No runs yet/)).toBeTruthy();
  });

  it('leaves a modified click (new tab) to the browser', async () => {
    const link = await showRuns();
    const before = history.length;
    fireEvent.click(link, { ctrlKey: true });
    expect(history.length).toBe(before);
    expect(location.pathname).toBe('/runs');
  });
});
