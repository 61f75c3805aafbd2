import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../api/types';
import { fakeFetch, jsonResponse } from '../../test/fakeApi';
import { connection, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const CONNS: Connection[] = [
  connection({
    id: 'cn_1',
    tenant_id: 'tn_1',
    name: 'Shop DB',
    type: 'postgresql',
    host: 'db.acme.test',
    port: 5432,
    database: 'shop',
    username: 'etl',
    enabled: true,
    secret_fields: ['password'],
    has_secret: true,
    last_test_status: 'failed',
    last_test_message: 'cannot reach the server',
    last_test_at: new Date().toISOString(),
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    jobs_count: 2,
  }),
  connection({
    id: 'cn_2',
    tenant_id: 'tn_1',
    name: 'Exports',
    type: 's3',
    bucket_url: 's3://acme-exports',
    prefix: 'orders/',
    enabled: true,
    secret_fields: [],
    has_secret: false,
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    jobs_count: 0,
  }),
];

function routes(role: 'viewer' | 'editor', extra: Record<string, unknown> = {}) {
  return {
    'GET /api/auth/me': { user: session(role).user, tenant: session().tenant },
    'GET /api/connections': { connections: CONNS },
    ...extra,
  };
}

describe('ConnectionsPage', () => {
  it('lists connections with type, location, last test and jobs', async () => {
    const { fetch } = fakeFetch(routes('editor'));
    renderApp({ path: '/connections', session: session('editor'), fetch });
    const rows = await screen.findAllByTestId('connection-row');
    expect(rows.map((r) => r.getAttribute('data-name'))).toEqual(['Shop DB', 'Exports']);
    expect(within(rows[0]).getByTestId('connection-type')).toHaveAttribute('data-type', 'postgresql');
    expect(within(rows[0]).getByTestId('connection-location')).toHaveTextContent('db.acme.test:5432/shop');
    expect(within(rows[0]).getByTestId('connection-last-test')).toHaveAttribute('data-status', 'failed');
    expect(within(rows[0]).getByTestId('connection-jobs')).toHaveTextContent('2');
    expect(within(rows[1]).getByTestId('connection-location')).toHaveTextContent('s3://acme-exports/orders/');
    expect(within(rows[1]).getByTestId('connection-last-test')).toHaveTextContent('Not tested');
  });

  it('hides write actions from viewers', async () => {
    const { fetch } = fakeFetch(routes('viewer'));
    renderApp({ path: '/connections', session: session('viewer'), fetch });
    await screen.findAllByTestId('connection-row');
    expect(screen.queryByTestId('connection-new')).toBeNull();
    expect(screen.queryByTestId('connection-menu')).toBeNull();
  });

  it('shows an empty state', async () => {
    const { fetch } = fakeFetch({ ...routes('editor'), 'GET /api/connections': { connections: [] } });
    renderApp({ path: '/connections', session: session('editor'), fetch });
    expect(await screen.findByTestId('connections-empty')).toHaveTextContent('No connections yet');
  });

  it('shows the 409 when a delete is refused', async () => {
    const { fetch, calls } = fakeFetch(
      routes('editor', {
        'DELETE /api/connections/cn_1': jsonResponse(409, { error: { kind: 'conflict', message: 'connection Shop DB is used by 2 ETL jobs' } }),
      }),
    );
    renderApp({ path: '/connections', session: session('editor'), fetch });
    const rows = await screen.findAllByTestId('connection-row');
    await userEvent.click(within(rows[0]).getByTestId('connection-menu'));
    await userEvent.click(await screen.findByTestId('connection-delete'));
    await userEvent.click(await screen.findByTestId('connection-delete-confirm'));
    expect(await screen.findByTestId('connection-delete-error')).toHaveTextContent('connection Shop DB is used by 2 ETL jobs');
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true));
  });

  it('picks a type first, then shows its form', async () => {
    const { fetch } = fakeFetch(routes('editor'));
    renderApp({ path: '/connections', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('connection-new'));
    await userEvent.click(await screen.findByTestId('pick-s3'));
    expect(await screen.findByTestId('connection-form')).toHaveAttribute('data-type', 's3');
    expect(screen.getByTestId('connection-bucket_url')).toBeInTheDocument();
  });
});
