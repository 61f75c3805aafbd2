import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { NewUser, User } from '../../api/types';
import { fakeFetch, jsonResponse, type RecordedCall } from '../../test/fakeApi';
import { session, tenant } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { sortUsers, validateInvite } from './UsersPage';

const ADA: User = {
  id: 'us_admin',
  tenant_id: tenant.id,
  email: 'admin@acme.test',
  name: 'Ada Admin',
  role: 'admin',
  disabled: false,
  created_at: '2026-01-01T00:00:00Z',
};
const VIC: User = { ...ADA, id: 'us_v', email: 'vic@acme.test', name: 'Vic Viewer', role: 'viewer', created_at: '2026-02-01T00:00:00Z' };
const EDD: User = { ...ADA, id: 'us_e', email: 'edd@acme.test', name: 'Edd Editor', role: 'editor', created_at: '2026-03-01T00:00:00Z' };

function adminSession() {
  const s = session('admin');
  return { ...s, user: ADA };
}

/** A fake users API that keeps created users and checks every POST body. */
function usersApi(opts: { create?: (body: NewUser) => Response | User } = {}) {
  const users: User[] = [VIC, ADA, EDD];
  const posted: NewUser[] = [];
  const routes = {
    'GET /api/auth/me': { user: ADA, tenant },
    'GET /api/runs': { runs: [] },
    'GET /api/users': () => ({ users: [...users] }),
    'POST /api/users': (call: RecordedCall) => {
      const body = JSON.parse(String(call.body)) as NewUser;
      posted.push(body);
      if (call.headers['content-type'] !== 'application/json') return jsonResponse(400, { error: { kind: 'invalid', message: 'not json' } });
      const out = opts.create?.(body);
      if (out instanceof Response) return out;
      const u: User = out ?? { id: `us_${posted.length}`, tenant_id: tenant.id, email: body.email, name: body.name || body.email.split('@')[0], role: body.role, disabled: false, created_at: new Date().toISOString() };
      users.push(u);
      return jsonResponse(201, u);
    },
  };
  return { routes, posted, users };
}

async function fillInvite(v: { email: string; name?: string; role?: string; password: string }) {
  const form = await screen.findByTestId('invite-form');
  await userEvent.type(within(form).getByTestId('invite-email'), v.email);
  if (v.name) await userEvent.type(within(form).getByTestId('invite-name'), v.name);
  if (v.role) await userEvent.selectOptions(within(form).getByTestId('invite-role'), v.role);
  await userEvent.type(within(form).getByTestId('invite-password'), v.password);
}

describe('UsersPage', () => {
  it('lists the tenant users, admins first, with email, role and added date', async () => {
    const api = usersApi();
    const { fetch, calls } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });

    const rows = await screen.findAllByTestId('user-row');
    expect(rows.map((r) => r.getAttribute('data-email'))).toEqual(['admin@acme.test', 'edd@acme.test', 'vic@acme.test']);
    expect(rows.map((r) => r.getAttribute('data-role'))).toEqual(['admin', 'editor', 'viewer']);
    expect(rows[0]).toHaveTextContent('Ada Admin');
    expect(rows[0]).toHaveTextContent('You');
    expect(rows[2]).not.toHaveTextContent('You');
    expect(within(rows[2]).getByTestId('user-role-badge')).toHaveTextContent('viewer');
    expect(screen.getByTestId('users-count')).toHaveTextContent('3 users');
    expect(calls.find((c) => c.path === '/api/users')?.headers.authorization).toBe('Bearer tok-123');
  });

  it('invites a user with the chosen role and shows them in the list', async () => {
    const api = usersApi();
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await screen.findAllByTestId('user-row');

    await fillInvite({ email: 'new@acme.test', name: 'Nia New', role: 'editor', password: 'Correct-Horse-42' });
    expect(screen.getByTestId('password-strength').getAttribute('data-score')).toBe('4');
    await userEvent.click(screen.getByTestId('invite-submit'));

    expect(await screen.findByTestId('invite-success')).toHaveTextContent('new@acme.test was added as editor');
    expect(api.posted).toEqual([{ email: 'new@acme.test', name: 'Nia New', role: 'editor', password: 'Correct-Horse-42' }]);
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(4));
    const added = screen.getAllByTestId('user-row').find((r) => r.getAttribute('data-email') === 'new@acme.test')!;
    expect(added).toHaveAttribute('data-role', 'editor');
    // The form is cleared for the next invitation.
    expect(screen.getByTestId('invite-email')).toHaveValue('');
    expect(screen.getByTestId('invite-password')).toHaveValue('');
  });

  it('defaults the role to viewer', async () => {
    const api = usersApi();
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await fillInvite({ email: 'v2@acme.test', password: 'long-enough-pw' });
    await userEvent.click(screen.getByTestId('invite-submit'));
    await screen.findByTestId('invite-success');
    expect(api.posted[0]).toMatchObject({ email: 'v2@acme.test', role: 'viewer', name: '' });
  });

  it('puts a 400 about the password under the password field', async () => {
    const api = usersApi({
      create: () => jsonResponse(400, { error: { kind: 'invalid', message: 'tenancy: password must have at most 72 bytes' } }),
    });
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await fillInvite({ email: 'p@acme.test', password: 'long-enough-pw' });
    await userEvent.click(screen.getByTestId('invite-submit'));
    expect(await screen.findByTestId('invite-password-error')).toHaveTextContent('Password must have at most 72 bytes');
    expect(screen.queryByTestId('invite-error')).toBeNull();
  });

  it('puts an error naming its field under that field', async () => {
    const api = usersApi({
      create: () =>
        jsonResponse(400, {
          error: { kind: 'invalid', message: 'the password must have at most 72 bytes (letters outside ASCII count as 2-4)', field: 'password' },
        }),
    });
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await fillInvite({ email: 'p@acme.test', password: 'long-enough-pw' });
    await userEvent.click(screen.getByTestId('invite-submit'));
    expect(await screen.findByTestId('invite-password-error')).toHaveTextContent('The password must have at most 72 bytes');
    expect(screen.queryByTestId('invite-error')).toBeNull();
  });

  it('checks the password length before sending', async () => {
    const api = usersApi();
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await fillInvite({ email: 'x@acme.test', password: 'short-pw1' });
    expect(screen.getByTestId('password-strength')).toHaveTextContent('Too short');
    expect(screen.getByTestId('password-strength')).toHaveTextContent('1 more');
    await userEvent.click(screen.getByTestId('invite-submit'));
    expect(await screen.findByTestId('invite-password-error')).toHaveTextContent('at least 10 characters');
    expect(api.posted).toHaveLength(0);
  });

  it('shows a duplicate email (409) at the email field', async () => {
    const api = usersApi({
      create: () =>
        jsonResponse(409, { error: { kind: 'conflict', message: 'tenancy: a user with this email already exists in the tenant' } }),
    });
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await fillInvite({ email: 'vic@acme.test', password: 'long-enough-pw' });
    await userEvent.click(screen.getByTestId('invite-submit'));

    expect(await screen.findByTestId('invite-email-error')).toHaveTextContent('A user with this email exists.');
    expect(screen.queryByTestId('invite-error')).toBeNull(); // once is enough
    expect(api.posted).toHaveLength(1);
    // Nothing is cleared, so the admin can fix the address.
    expect(screen.getByTestId('invite-email')).toHaveValue('vic@acme.test');
    expect(screen.queryByTestId('invite-success')).toBeNull();
  });

  it("shows the server's message for a 400, without the package prefix", async () => {
    const api = usersApi({
      create: () => jsonResponse(400, { error: { kind: 'invalid', message: 'tenancy: name "x\\u0000" has a control character' } }),
    });
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await fillInvite({ email: 'odd@acme.test', name: 'Odd', password: 'long-enough-pw' });
    await userEvent.click(screen.getByTestId('invite-submit'));
    const err = await screen.findByTestId('invite-error');
    expect(err).toHaveAttribute('data-kind', 'invalid');
    expect(err).toHaveTextContent('Name "x\\u0000" has a control character');
    expect(err).not.toHaveTextContent('tenancy:');
  });

  it('fills a generated password and reveals it', async () => {
    const api = usersApi();
    const { fetch } = fakeFetch(api.routes);
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    await userEvent.click(await screen.findByTestId('invite-generate'));
    const input = screen.getByTestId('invite-password') as HTMLInputElement;
    expect(input.value).toHaveLength(16);
    expect(input.type).toBe('text');
  });

  it('shows the Team entry to admins only', async () => {
    const a = fakeFetch(usersApi().routes);
    const first = renderApp({ path: '/etl', session: adminSession(), fetch: a.fetch });
    await userEvent.click(await screen.findByTestId('nav-team'));
    expect(await screen.findByTestId('users-table')).toBeInTheDocument();
    first.unmount();

    for (const role of ['editor', 'viewer'] as const) {
      const b = fakeFetch({ 'GET /api/auth/me': { user: session(role).user, tenant }, 'GET /api/runs': { runs: [] } });
      const r = renderApp({ path: '/etl', session: session(role), fetch: b.fetch });
      await screen.findByTestId('nav-etl');
      expect(screen.queryByTestId('nav-team')).toBeNull();
      r.unmount();
    }
  });

  it('shows a no-access state to a non-admin who opens the address, without asking the API', async () => {
    const { fetch, calls } = fakeFetch({ 'GET /api/auth/me': { user: session('viewer').user, tenant } });
    renderApp({ path: '/settings/users', session: session('viewer'), fetch });
    const state = await screen.findByTestId('forbidden');
    expect(state).toHaveTextContent('Only admins can manage the team');
    expect(state).toHaveTextContent('signed in as a viewer');
    expect(screen.queryByTestId('invite-form')).toBeNull();
    expect(calls.some((c) => c.path === '/api/users')).toBe(false);
  });

  it('shows the no-access state when the server refuses (403)', async () => {
    const { fetch } = fakeFetch({
      'GET /api/auth/me': { user: ADA, tenant },
      'GET /api/users': jsonResponse(403, { error: { kind: 'permission', message: 'admins only' } }),
    });
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    expect(await screen.findByTestId('forbidden')).toHaveTextContent('admins only');
  });
});

describe('ending sessions', () => {
  it('lets an admin sign a user out on every device, after a confirmation', async () => {
    const api = usersApi();
    const ended: string[] = [];
    const { fetch } = fakeFetch({
      ...api.routes,
      'DELETE /api/users/us_v/sessions': () => {
        ended.push('us_v');
        return new Response(null, { status: 204 });
      },
    });
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    const rows = await screen.findAllByTestId('user-row');
    const me = rows.find((r) => r.getAttribute('data-email') === 'admin@acme.test')!;
    expect(within(me).queryByTestId('end-sessions')).toBeNull(); // "Sign out everywhere" is in the account menu
    const vic = rows.find((r) => r.getAttribute('data-email') === 'vic@acme.test')!;
    await userEvent.click(within(vic).getByTestId('end-sessions'));
    expect(await screen.findByTestId('end-sessions-confirm')).toHaveTextContent('Sign Vic Viewer out on every device?');
    expect(ended).toEqual([]);
    await userEvent.click(screen.getByTestId('end-sessions-ok'));
    expect(await screen.findByText('Sessions ended')).toBeInTheDocument();
    expect(ended).toEqual(['us_v']);
  });

  it('shows why ending sessions failed', async () => {
    const api = usersApi();
    const { fetch } = fakeFetch({
      ...api.routes,
      'DELETE /api/users/us_e/sessions': jsonResponse(404, { error: { kind: 'not_found', message: 'this user does not exist' } }),
    });
    renderApp({ path: '/settings/users', session: adminSession(), fetch });
    const rows = await screen.findAllByTestId('user-row');
    const edd = rows.find((r) => r.getAttribute('data-email') === 'edd@acme.test')!;
    await userEvent.click(within(edd).getByTestId('end-sessions'));
    await userEvent.click(await screen.findByTestId('end-sessions-ok'));
    expect(await screen.findByTestId('end-sessions-error')).toHaveTextContent('this user does not exist');
  });
});

describe('invite helpers', () => {
  it('validates email and password', () => {
    expect(validateInvite({ email: '', password: '' })).toEqual({
      email: 'Enter an email address.',
      password: 'Use at least 10 characters.',
    });
    expect(validateInvite({ email: 'nope', password: '0123456789' }).email).toBe('This is not an email address.');
    expect(validateInvite({ email: ' A@B.co ', password: 'ünïcödé-10' })).toEqual({});
  });

  it('lets a cloud invitation go without a password, but not with a short one', () => {
    expect(validateInvite({ email: 'a@b.co', password: '' }, true)).toEqual({});
    expect(validateInvite({ email: 'a@b.co', password: 'short' }, true).password).toBe('Use at least 10 characters.');
    expect(validateInvite({ email: 'a@b.co', password: '' }, false).password).toBe('Use at least 10 characters.');
  });

  it('sorts admins, editors, viewers, then by name', () => {
    const b = { ...VIC, id: 'b', name: 'Bea' };
    expect(sortUsers([VIC, b, EDD, ADA]).map((u) => u.id)).toEqual(['us_admin', 'us_e', 'b', 'us_v']);
  });
});
