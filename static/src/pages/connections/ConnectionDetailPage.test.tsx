import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Connection, TableMeta } from '../../api/types';
import { fakeFetch } from '../../test/fakeApi';
import { connection, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { locationOf } from './connectionTypes';

const PG: Connection = connection({ id: 'cn_1', name: 'Shop DB', type: 'postgresql', host: 'db', database: 'shop', username: 'etl', schema: 'sales', secret_fields: ['password'], has_secret: true });
const S3: Connection = connection({ id: 'cn_2', name: 'Exports', type: 's3', bucket_url: 's3://acme', prefix: 'orders/', secret_fields: [], has_secret: false });

const META: TableMeta = {
  schema: 'sales',
  table: 'orders',
  columns: [
    { name: 'order_id', original_name: 'OrderID', name_changed: true, source_type: 'integer', type: 'INT64', confidence: 'high', nullable: false, primary_key: true, temporal: false, samples: ['1', '2'] },
    { name: 'placed_at', original_name: 'placed_at', name_changed: false, source_type: 'timestamp with time zone', type: 'TIMESTAMP', confidence: 'high', nullable: true, primary_key: false, temporal: true, samples: ['2026-01-01 10:00:00', 'NULL'] },
  ],
  total_rows: 1200,
  rows_exact: true,
  recommended: { timestamp_column: 'placed_at', timestamp_reason: 'the only timestamp column', primary_key: ['OrderID'] },
};

describe('ConnectionDetailPage', () => {
  it('browses schemas, tables and columns of a database', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: session('viewer').user, tenant: session().tenant },
      'GET /api/connections/cn_1': PG,
      'GET /api/connections/cn_1/schemas': { schemas: ['public', 'sales'] },
      'GET /api/connections/cn_1/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }, { name: 'customers', rows: 40 }] },
      'GET /api/connections/cn_1/tables/sales/orders': META,
    });
    renderApp({ path: '/connections/cn_1', session: session('viewer'), fetch });
    expect(await screen.findByTestId('detail-secret-password')).toHaveTextContent('set');
    expect(screen.queryByTestId('connection-detail-edit')).toBeNull();
    const rows = await screen.findAllByTestId('source-table-row');
    expect(rows.map((r) => r.textContent)).toEqual(['orders1,200 rows', 'customers~40 rows']);
    expect(calls.find((c) => c.path === '/api/connections/cn_1/tables')?.search).toBe('?schema=sales');
    await userEvent.click(rows[0]);
    const cols = await screen.findAllByTestId('source-column');
    expect(cols.map((c) => c.getAttribute('data-name'))).toEqual(['order_id', 'placed_at']);
    expect(cols[0]).toHaveTextContent('OrderID');
    expect(cols[0]).toHaveTextContent('integer');
    expect(cols[0]).toHaveTextContent('INT64');
    expect(cols[0]).toHaveTextContent('PK');
    expect(cols[1]).toHaveTextContent('2026-01-01 10:00:00, NULL');
    expect(screen.getByTestId('source-recommended-ts')).toHaveTextContent('placed_at');
  });

  it('browses the collections of a Firestore database with document counts and field presence', async () => {
    const FS = connection({ id: 'cn_3', name: 'App data', type: 'firestore', project: 'acme-app', secret_fields: ['service_account_json'], has_secret: true });
    const meta: TableMeta = {
      schema: '(default)',
      table: 'customers',
      columns: [
        { name: 'document_id', original_name: '__name__', name_changed: true, source_type: 'string', type: 'STRING', confidence: 'high', nullable: false, primary_key: true, temporal: false, samples: ['acme'], presence: 1 },
        { name: 'address', original_name: 'address', name_changed: false, source_type: 'map', type: 'JSON', confidence: 'medium', nullable: true, primary_key: false, temporal: false, samples: ['{"city":"Leeds"}'], presence: 0.62 },
      ],
      total_rows: 40,
      rows_exact: true,
      recommended: { timestamp_column: '', timestamp_reason: '', primary_key: ['__name__'] },
    };
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: session('viewer').user, tenant: session().tenant },
      'GET /api/connections/cn_3': FS,
      'GET /api/connections/cn_3/schemas': { schemas: ['(default)'] },
      'GET /api/connections/cn_3/tables': { tables: [{ name: 'customers', rows: 40, rows_exact: true }] },
      'GET /api/connections/cn_3/tables/(default)/customers': meta,
    });
    renderApp({ path: '/connections/cn_3', session: session('viewer'), fetch });
    expect(await screen.findByTestId('detail-secret-service_account_json')).toHaveTextContent('set');
    expect(screen.getByTestId('source-tables')).toHaveTextContent('Collections');
    const rows = await screen.findAllByTestId('source-table-row');
    expect(rows.map((r) => r.textContent)).toEqual(['customers40 documents']);
    expect(calls.find((c) => c.path === '/api/connections/cn_3/tables')?.search).toBe('?schema=%28default%29');
    await userEvent.click(rows[0]);
    const cols = await screen.findAllByTestId('source-column');
    expect(cols.map((c) => within(c).getByTestId('source-presence').textContent)).toEqual(['100%', '62%']);
    expect(screen.getByTestId('source-columns')).toHaveTextContent('40 documents');
  });

  it('lists the files of a bucket with a prefix and pattern', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /api/auth/me': { user: session('editor').user, tenant: session().tenant },
      'GET /api/connections/cn_2': S3,
      'GET /api/connections/cn_2/files': { files: [{ key: 'orders/2026/a.csv', name: 'a.csv', size: 2048, last_modified: '2026-11-01T00:00:00Z' }] },
    });
    renderApp({ path: '/connections/cn_2', session: session('editor'), fetch });
    expect(await screen.findByTestId('source-file')).toHaveTextContent('orders/2026/a.csv');
    expect(screen.getByTestId('connection-detail-edit')).toBeInTheDocument();
    await userEvent.type(screen.getByTestId('source-files-pattern'), '*.csv');
    await waitFor(() => expect(calls.at(-1)?.search).toBe('?pattern=*.csv'));
    expect(within(screen.getByTestId('source-files')).getByText('a.csv')).toBeInTheDocument();
  });
});

describe('locationOf', () => {
  it('names what a Google connection reads: the data project (else the billing one) and dataset, or the Firestore database', () => {
    expect(
      [
        connection({ id: 'cn', name: 'c', type: 'bigquery', project: 'acme-prod', data_project: 'bigquery-public-data', dataset: 'thelook_ecommerce' }),
        connection({ id: 'cn', name: 'c', type: 'bigquery', project: 'acme-prod' }),
        connection({ id: 'cn', name: 'c', type: 'firestore', project: 'acme-app' }),
        connection({ id: 'cn', name: 'c', type: 'firestore', project: 'acme-app', database: 'orders' }),
      ].map(locationOf),
    ).toEqual(['bigquery-public-data.thelook_ecommerce', 'acme-prod', 'acme-app/(default)', 'acme-app/orders']);
  });
});
