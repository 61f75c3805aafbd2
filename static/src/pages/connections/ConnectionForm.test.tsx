import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Connection, ConnectionType } from '../../api/types';
import { fakeFetch, jsonResponse, type RecordedCall } from '../../test/fakeApi';
import { connection, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { ConnectionForm } from './ConnectionForm';

const PG: Connection = connection({
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
  last_test_status: 'success',
  last_test_at: '2026-11-26T12:00:00Z',
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-01T00:00:00Z',
  jobs_count: 2,
});

function setup(opts: { connection?: Connection | null; type?: ConnectionType; routes?: Record<string, unknown> } = {}) {
  const saved = { connection: PG };
  const { fetch, calls } = fakeFetch({
    'GET /api/auth/me': { user: session().user, tenant: session().tenant },
    'POST /api/connections': jsonResponse(201, saved),
    'PATCH /api/connections/cn_1': { ...saved, affected_jobs_count: 2 },
    ...(opts.routes as Record<string, (c: RecordedCall) => unknown>),
  });
  const onSaved = vi.fn();
  renderApp({
    session: session('editor'),
    fetch,
    children: <ConnectionForm connection={opts.connection ?? null} type={opts.type} onSaved={onSaved} onCancel={() => {}} />,
  });
  const body = (method: string, path: string) => {
    const c = calls.filter((x) => x.method === method && x.path === path).at(-1);
    return c ? JSON.parse(String(c.body)) : undefined;
  };
  return { onSaved, body, calls };
}

describe('ConnectionForm', () => {
  it.each([
    ['postgresql', ['host', 'port', 'database', 'schema', 'username', 'sslmode'], ['password'], ['bucket_url']],
    ['s3', ['bucket_url', 'prefix', 'region', 'access_key_id', 'endpoint'], ['aws_secret_access_key'], ['host', 'database']],
    ['azure_blob', ['bucket_url', 'prefix', 'account', 'endpoint'], ['azure_account_key', 'azure_sas_token'], ['region']],
    ['gcs', ['bucket_url', 'prefix'], ['service_account_json'], ['region', 'host']],
    ['bigquery', ['project', 'data_project', 'dataset', 'endpoint'], ['service_account_json'], ['host', 'bucket_url', 'database']],
    ['firestore', ['project', 'database', 'endpoint'], ['service_account_json'], ['host', 'bucket_url', 'dataset', 'data_project']],
  ] as const)('%s shows its own fields', (type, fields, secrets, absent) => {
    setup({ type });
    expect(screen.getByTestId('connection-form')).toHaveAttribute('data-type', type);
    for (const f of fields) expect(screen.getByTestId(`connection-${f}`)).toBeInTheDocument();
    for (const s of secrets) expect(screen.getByTestId(`secret-${s}`)).toBeInTheDocument();
    for (const f of absent) expect(screen.queryByTestId(`connection-${f}`)).toBeNull();
  });

  it('creates a PostgreSQL connection with only the filled fields and the typed password', async () => {
    const { onSaved, body } = setup({ type: 'postgresql' });
    await userEvent.type(screen.getByTestId('connection-name'), 'Warehouse');
    await userEvent.type(screen.getByTestId('connection-host'), 'pg.acme.test');
    await userEvent.type(screen.getByTestId('connection-port'), '5433');
    await userEvent.type(screen.getByTestId('connection-database'), 'orders');
    await userEvent.type(screen.getByTestId('connection-username'), 'reader');
    await userEvent.type(screen.getByTestId('secret-password'), 's3cret');
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(body('POST', '/api/connections')).toEqual({
      name: 'Warehouse',
      type: 'postgresql',
      host: 'pg.acme.test',
      port: 5433,
      database: 'orders',
      username: 'reader',
      enabled: true,
      secret: { password: 's3cret' },
    });
  });

  it('leaves an untouched stored secret out of the patch', async () => {
    const { onSaved, body } = setup({ connection: PG });
    expect(screen.getByTestId('secret-set-password')).toHaveTextContent('set');
    expect(screen.getByTestId('secret-password')).toHaveValue('');
    const host = screen.getByTestId('connection-host');
    await userEvent.clear(host);
    await userEvent.type(host, 'db2.acme.test');
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const patch = body('PATCH', '/api/connections/cn_1');
    expect(patch).toEqual({ host: 'db2.acme.test' });
    expect(patch).not.toHaveProperty('secret');
  });

  it('sends a cleared secret as ""', async () => {
    const { onSaved, body } = setup({ connection: PG });
    await userEvent.click(screen.getByTestId('secret-clear-password'));
    expect(screen.getByText('will be cleared')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(body('PATCH', '/api/connections/cn_1')).toEqual({ secret: { password: '' } });
  });

  it('sends a secret typed and erased again as "" and a replaced one as its value', async () => {
    const { onSaved, body } = setup({ connection: PG });
    const pw = screen.getByTestId('secret-password');
    await userEvent.type(pw, 'new-pass');
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    expect(body('PATCH', '/api/connections/cn_1')).toEqual({ secret: { password: 'new-pass' } });
    await userEvent.clear(pw);
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(2));
    expect(body('PATCH', '/api/connections/cn_1')).toEqual({ secret: { password: '' } });
  });

  it('tests a BigQuery connection with its billing and data projects and key, and says where queries are billed', async () => {
    const { body } = setup({
      type: 'bigquery',
      routes: {
        'POST /api/connections/test': {
          ok: true,
          message: 'connected to BigQuery as etl@acme.iam.gserviceaccount.com',
          tables: [{ name: 'thelook_ecommerce', rows: 7 }],
        },
      },
    });
    expect(screen.getByTestId('connection-notice')).toHaveTextContent('billed, in the billing project');
    expect(screen.getByTestId('connection-notice')).toHaveTextContent('read the tables of the data project');
    await userEvent.type(screen.getByTestId('connection-name'), 'Public data');
    await userEvent.type(screen.getByTestId('connection-project'), 'acme-prod');
    await userEvent.type(screen.getByTestId('connection-data_project'), 'bigquery-public-data');
    await userEvent.click(screen.getByTestId('secret-service_account_json'));
    await userEvent.paste('{"type":"service_account"}');
    await userEvent.click(screen.getByTestId('connection-test'));
    expect(await screen.findByTestId('connection-test-result')).toHaveAttribute('data-ok', 'true');
    expect(body('POST', '/api/connections/test')).toEqual({
      name: 'Public data',
      type: 'bigquery',
      project: 'acme-prod',
      data_project: 'bigquery-public-data',
      enabled: true,
      secret: { service_account_json: '{"type":"service_account"}' },
    });
  });

  it('tests unsaved values and shows the failure message', async () => {
    const { body } = setup({
      type: 'postgresql',
      routes: { 'POST /api/connections/test': { ok: false, message: 'cannot reach the server at 127.0.0.1:1', tables: null } },
    });
    await userEvent.type(screen.getByTestId('connection-name'), 'Local');
    await userEvent.type(screen.getByTestId('connection-host'), '127.0.0.1');
    await userEvent.type(screen.getByTestId('connection-port'), '1');
    await userEvent.click(screen.getByTestId('connection-test'));
    const res = await screen.findByTestId('connection-test-result');
    expect(res).toHaveAttribute('data-ok', 'false');
    expect(within(res).getByTestId('connection-test-message')).toHaveTextContent('cannot reach the server at 127.0.0.1:1');
    expect(body('POST', '/api/connections/test')).toMatchObject({ type: 'postgresql', host: '127.0.0.1', port: 1 });
    expect(body('POST', '/api/connections/test')).not.toHaveProperty('secret');
  });

  it('saving the draft that just passed its test reports the test, and a draft changed after it does not', async () => {
    const ok = { ok: true, message: 'connected to PostgreSQL 17.2', tables: [] };
    const { onSaved } = setup({ type: 'postgresql', routes: { 'POST /api/connections/test': ok } });
    await userEvent.type(screen.getByTestId('connection-name'), 'Shop DB');
    await userEvent.type(screen.getByTestId('connection-host'), 'db.acme.test');
    await userEvent.type(screen.getByTestId('connection-port'), '5432');
    await userEvent.type(screen.getByTestId('connection-database'), 'shop');
    await userEvent.type(screen.getByTestId('connection-username'), 'etl');
    await userEvent.type(screen.getByTestId('secret-password'), 's3cret');
    await userEvent.click(screen.getByTestId('connection-test'));
    await screen.findByTestId('connection-test-result');
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    expect(onSaved.mock.calls[0][0].test).toEqual(ok);
    await userEvent.type(screen.getByTestId('connection-host'), 'x');
    await userEvent.click(screen.getByTestId('connection-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(2));
    expect(onSaved.mock.calls[1][0].test).toBeUndefined();
  });

  it('shows a successful test with the tables found and a duplicate warning', async () => {
    setup({
      type: 'postgresql',
      routes: {
        'POST /api/connections/test': {
          ok: true,
          message: 'connected',
          server_version: 'PostgreSQL 17.2',
          tables: [
            { name: 'orders', rows: 1200, rows_exact: true },
            { name: 'customers', rows: 40 },
          ],
          duplicate_of: 'cn_9',
        },
      },
    });
    await userEvent.click(screen.getByTestId('connection-test'));
    const tables = await screen.findByTestId('connection-test-tables');
    expect(tables).toHaveTextContent('orders · 1,200 rows');
    expect(tables).toHaveTextContent('customers · 40 rows');
    expect(screen.getByTestId('connection-duplicate')).toBeInTheDocument();
    expect(within(screen.getByTestId('connection-duplicate')).getByRole('link')).toHaveAttribute('href', '/connections/cn_9');
  });

  it('shows a 400 at the field it names', async () => {
    setup({
      type: 'postgresql',
      routes: { 'POST /api/connections': jsonResponse(400, { error: { kind: 'invalid', message: 'connection: port: must be 1-65535' } }) },
    });
    await userEvent.type(screen.getByTestId('connection-name'), 'X');
    await userEvent.type(screen.getByTestId('connection-host'), 'h');
    await userEvent.type(screen.getByTestId('connection-database'), 'd');
    await userEvent.type(screen.getByTestId('connection-username'), 'u');
    await userEvent.type(screen.getByTestId('connection-port'), '70000');
    await userEvent.click(screen.getByTestId('connection-save'));
    expect(await screen.findByText('Must be 1-65535')).toBeInTheDocument();
    expect(screen.getByTestId('connection-port')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('connection-form-error')).toBeNull();
  });
});
