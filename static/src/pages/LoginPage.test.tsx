import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse } from '../test/fakeApi';
import { session } from '../test/fixtures';
import { renderApp } from '../test/render';
import { safeNext } from './LoginPage';

describe('LoginPage', () => {
  it('redirects to login when signed out', async () => {
    const { fetch } = fakeFetch({});
    renderApp({ path: '/etl/tables', fetch });
    expect(await screen.findByTestId('login-email')).toBeInTheDocument();
  });

  it('shows an error message on 401', async () => {
    const { fetch, calls } = fakeFetch({
      'POST /api/auth/login': jsonResponse(401, { error: { kind: 'unauthenticated', message: 'invalid credentials' } }),
    });
    renderApp({ path: '/login', fetch });
    await userEvent.type(screen.getByTestId('login-email'), 'erin@acme.test');
    await userEvent.type(screen.getByTestId('login-password'), 'nope');
    await userEvent.click(screen.getByTestId('login-submit'));
    expect(await screen.findByTestId('login-error')).toHaveTextContent('Email or password is incorrect.');
    expect(JSON.parse(String(calls[0].body))).toEqual({ email: 'erin@acme.test', password: 'nope' });
  });

  it('signs in, shows tenant, email and role, and keeps the session for the tab', async () => {
    const s = session('editor');
    const { fetch, calls } = fakeFetch({
      'POST /api/auth/login': { token: 'tok-new', expires_at: '2999-01-01T00:00:00Z', user: s.user, tenant: s.tenant },
      'GET /api/auth/me': { user: s.user, tenant: s.tenant },
      'GET /api/runs': { runs: [] },
    });
    renderApp({ path: '/login?next=%2Fetl', fetch });
    await userEvent.type(screen.getByTestId('login-email'), 'editor@acme.test');
    await userEvent.type(screen.getByTestId('login-password'), 'pw');
    await userEvent.click(screen.getByTestId('login-submit'));

    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Wholesale Ltd');
    expect(screen.getByTestId('user-email')).toHaveTextContent('editor@acme.test');
    expect(screen.getByTestId('user-role')).toHaveTextContent('editor');
    await waitFor(() => expect(calls.some((c) => c.path === '/api/runs' && c.headers.authorization === 'Bearer tok-new')).toBe(true));
    expect(JSON.parse(window.sessionStorage.getItem('b2brecs.session')!).token).toBe('tok-new');
  });

  it('signs out', async () => {
    const s = session('admin');
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: s.user, tenant: s.tenant },
      'GET /api/runs': { runs: [] },
      'POST /api/auth/logout': new Response(null, { status: 204 }),
    });
    renderApp({ path: '/etl', session: s, fetch });
    await userEvent.click(await screen.findByTestId('logout'));
    expect(await screen.findByTestId('login-email')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/auth/logout')).toBe(true);
  });

  it('signs out everywhere from the account menu', async () => {
    const s = session('editor');
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: s.user, tenant: s.tenant },
      'GET /api/runs': { runs: [] },
      'POST /api/auth/logout-all': new Response(null, { status: 204 }),
    });
    renderApp({ path: '/etl', session: s, fetch });
    await userEvent.click(await screen.findByTestId('user-menu'));
    await userEvent.click(await screen.findByTestId('logout-all'));
    expect(await screen.findByTestId('login-email')).toBeInTheDocument();
    const call = calls.find((c) => c.method === 'POST' && c.path === '/api/auth/logout-all');
    expect(call?.headers.authorization).toBe('Bearer tok-123');
    expect(window.sessionStorage.getItem('b2brecs.session')).toBeNull();
  });

  it('stays signed in and says so when signing out everywhere fails', async () => {
    const s = session('editor');
    const { fetch } = fakeFetch({
      'GET /api/auth/me': { user: s.user, tenant: s.tenant },
      'GET /api/runs': { runs: [] },
      'POST /api/auth/logout-all': jsonResponse(503, { error: { kind: 'transient', message: 'the service is busy: try again in a moment' } }),
    });
    renderApp({ path: '/etl', session: s, fetch });
    await userEvent.click(await screen.findByTestId('user-menu'));
    await userEvent.click(await screen.findByTestId('logout-all'));
    expect(await screen.findByText('Could not sign out everywhere')).toBeInTheDocument();
    expect(screen.getByText('the service is busy: try again in a moment')).toBeInTheDocument();
    expect(screen.getByTestId('tenant-name')).toBeInTheDocument();
  });

  it('follows only same-app paths after sign-in', () => {
    expect(safeNext('/etl/tables')).toBe('/etl/tables');
    expect(safeNext('//evil.example')).toBe('/etl');
    expect(safeNext('https://evil.example')).toBe('/etl');
    expect(safeNext(null)).toBe('/etl');
    expect(safeNext('/login')).toBe('/etl');
  });
});
