import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { App } from '../App';
import { fakeApi } from './fakeApi';

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
