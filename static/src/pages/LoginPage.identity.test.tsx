import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { IdentityPlatform, IdToken } from '../auth/identityPlatform';
import { fakeFetch, jsonResponse } from '../test/fakeApi';
import { session } from '../test/fixtures';
import { renderApp } from '../test/render';

// fakeIdentity stands in for Identity Platform (the Firebase Auth SDK talks
// to Google; no emulator runs in these tests): it signs in the accounts it
// is given and lets the test refresh or revoke the ID token.
function fakeIdentity(accounts: Record<string, string>, providers = ['password']) {
  let listener: ((t: IdToken | null) => void) | null = null;
  const calls: string[] = [];
  const token = (email: string, n = 1): IdToken => ({ token: `id-${email}-${n}`, expiresAt: '2999-01-01T00:00:00.000Z' });
  const identity: IdentityPlatform = {
    providers,
    async signInWithPassword(email, password) {
      calls.push(`password ${email}`);
      if (accounts[email] !== password) throw Object.assign(new Error('Firebase: Error (auth/invalid-credential).'), { code: 'auth/invalid-credential' });
      return token(email);
    },
    async signInWithGoogle() {
      calls.push('google');
      return token('google@acme.test');
    },
    onToken(cb) {
      listener = cb;
      return () => {
        listener = null;
      };
    },
    async signOut() {
      calls.push('signOut');
    },
  };
  return { identity, calls, emit: (t: IdToken | null) => listener?.(t), token };
}

describe('LoginPage with Identity Platform', () => {
  it('signs in with email and password and calls the API with the ID token', async () => {
    const s = session('admin');
    const { identity, calls: idCalls, emit, token } = fakeIdentity({ 'admin@acme.test': 'right-pw' });
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: s.user, tenant: s.tenant },
      'GET /api/runs': { runs: [] },
    });
    renderApp({ path: '/login?next=%2Fetl', fetch, identity });
    expect(screen.queryByTestId('login-google')).not.toBeInTheDocument();
    await userEvent.type(screen.getByTestId('login-email'), 'admin@acme.test');
    await userEvent.type(screen.getByTestId('login-password'), 'right-pw');
    await userEvent.click(screen.getByTestId('login-submit'));

    expect(await screen.findByTestId('tenant-name')).toHaveTextContent('Acme Wholesale Ltd');
    expect(idCalls).toEqual(['password admin@acme.test']);
    expect(calls.some((c) => c.path === '/api/auth/login')).toBe(false);
    await waitFor(() =>
      expect(calls.some((c) => c.path === '/api/runs' && c.headers.authorization === 'Bearer id-admin@acme.test-1')).toBe(true),
    );

    // The SDK refreshes the token: later calls carry the new one.
    emit(token('admin@acme.test', 2));
    await waitFor(() => expect(JSON.parse(window.sessionStorage.getItem('b2brecs.session')!).token).toBe('id-admin@acme.test-2'));

    // Signed out elsewhere: the session ends here.
    emit(null);
    expect(await screen.findByTestId('login-email')).toBeInTheDocument();
  });

  it('says what is wrong: a bad password, or an identity that is no user of the tenant', async () => {
    const { identity, calls: idCalls } = fakeIdentity({ 'stranger@else.test': 'pw' });
    const { fetch } = fakeFetch({
      'GET /api/auth/me': jsonResponse(403, { error: { kind: 'permission', message: 'There is no account for this email in this workspace. Ask your administrator to add you.' } }),
    });
    renderApp({ path: '/login', fetch, identity });
    await userEvent.type(screen.getByTestId('login-email'), 'stranger@else.test');
    await userEvent.type(screen.getByTestId('login-password'), 'wrong');
    await userEvent.click(screen.getByTestId('login-submit'));
    expect(await screen.findByTestId('login-error')).toHaveTextContent('Email or password is incorrect.');

    await userEvent.clear(screen.getByTestId('login-password'));
    await userEvent.type(screen.getByTestId('login-password'), 'pw');
    await userEvent.click(screen.getByTestId('login-submit'));
    await waitFor(() => expect(screen.getByTestId('login-error')).toHaveTextContent('There is no account for this email in this workspace.'));
    // The identity is signed out again and nothing is kept.
    expect(idCalls.at(-1)).toBe('signOut');
    expect(window.sessionStorage.getItem('b2brecs.session')).toBeNull();
  });

  it('offers Google when the deployment has it, and signs out of Identity Platform', async () => {
    const s = session('editor');
    const { identity, calls: idCalls } = fakeIdentity({}, ['password', 'google.com']);
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: s.user, tenant: s.tenant },
      'GET /api/runs': { runs: [] },
    });
    renderApp({ path: '/login', fetch, identity });
    await userEvent.click(await screen.findByTestId('login-google'));
    expect(await screen.findByTestId('tenant-name')).toBeInTheDocument();
    expect(idCalls).toEqual(['google']);

    await userEvent.click(await screen.findByTestId('logout'));
    expect(await screen.findByTestId('login-email')).toBeInTheDocument();
    expect(idCalls.at(-1)).toBe('signOut');
    expect(calls.some((c) => c.path === '/api/auth/logout')).toBe(false);
  });
});
