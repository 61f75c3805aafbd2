import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../api/types';
import { fakeFetch, jsonResponse, type RecordedCall } from '../../test/fakeApi';
import { connection, JOBS, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const BUCKET = connection({ id: 'cn_gcs', name: 'Exports', type: 'gcs', bucket_url: 'gs://acme-exports', prefix: 'exports/' });
const PG = connection({ id: 'cn_pg', name: 'Shop', type: 'postgresql', host: 'db', port: 5432, database: 'shop' });
const BQ = connection({ id: 'cn_bq', name: 'Analytics', type: 'bigquery', project: 'acme-billing' });

const DB_JOB: JobView = {
  ...JOBS[0],
  id: 'jb_db',
  name: 'orders',
  source_type: 'database',
  auto_created: false,
  file: { prefix: '', pattern: '' },
  database: { connection_id: 'cn_pg', schema: 'public', table: 'orders', timestamp_column: 'updated_at' },
  state: { watermark: { type: 'timestamp', value: '2026-12-01T00:00:00Z' }, run_id: 'rn_1', updated_at: '2026-12-01T00:00:00Z' },
  load_mode: 'append',
  dest: { dataset: 'raw_data', table: 'orders' },
};

function routes(extra: Record<string, unknown> = {}) {
  return {
    'GET /api/auth/me': { user: session('editor').user, tenant: session().tenant },
    'GET /api/jobs': { jobs: [...JOBS, DB_JOB] },
    'GET /api/runs': { runs: [] },
    'GET /api/connections': { connections: [BUCKET, PG, BQ] },
    'POST /api/schedules/preview': { spec: {}, cron: '', time_zone: 'UTC', label: 'Manual', next_runs: [] },
    ...extra,
  };
}

const bodies = (calls: RecordedCall[], method: string, path: string) =>
  calls.filter((c) => c.method === method && c.path === path).map((c) => (c.body ? JSON.parse(String(c.body)) : undefined));

const choose = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

async function openNew() {
  await userEvent.click(await screen.findByTestId('job-new'));
  await userEvent.type(await screen.findByTestId('job-name'), 'Orders');
}

async function openEdit(name: string) {
  const row = (await screen.findAllByTestId('job-row')).find((r) => r.textContent?.includes(name));
  await userEvent.click(within(row!).getByTestId('job-menu'));
  await userEvent.click(await screen.findByTestId('job-edit'));
}

describe('JobEditor: file jobs on a bucket connection', () => {
  it('sends the connection, prefix, subfolders and latest mode, which forces load mode replace', async () => {
    const { fetch, calls } = fakeFetch(routes({ 'POST /api/jobs': jsonResponse(201, JOBS[0]) }));
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew();
    await waitFor(() => expect(screen.getByTestId('job-connection')).toHaveTextContent('Exports (Google Cloud Storage)'));
    expect(screen.getByTestId('job-connection')).not.toHaveTextContent('Shop'); // database connections hold no files
    choose('job-connection', 'cn_gcs');
    await userEvent.type(screen.getByTestId('job-prefix'), 'orders/');
    await userEvent.type(screen.getByTestId('job-pattern'), '*.csv');
    await userEvent.click(screen.getByTestId('job-subfolders'));
    const modes = screen.getByTestId('job-file-mode');
    expect(modes).toHaveTextContent('Each run loads the files it has not loaded yet');
    expect(modes).toHaveTextContent('replaces the whole table');
    await userEvent.click(screen.getByTestId('file-mode-latest'));
    expect(screen.getByTestId('job-load-mode-latest')).toHaveTextContent('the newest file replaces the table');
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(1));
    expect(bodies(calls, 'POST', '/api/jobs')[0]).toEqual({
      name: 'Orders',
      file: { prefix: 'orders/', pattern: '*.csv', format: '', connection_id: 'cn_gcs', subfolders: true, mode: 'latest' },
      dest: { dataset: 'raw_data' },
      load_mode: 'truncate',
      schema_evolution: 'refuse',
      schedule: { type: 'manual' },
      enabled: true,
    });
  });

  it('keeps the drop folder body unchanged and shows the API message under the connection field', async () => {
    let posts = 0;
    const { fetch, calls } = fakeFetch(
      routes({
        'POST /api/jobs': () =>
          ++posts === 1
            ? jsonResponse(404, { error: { kind: 'not_found', field: 'file.connection_id', message: 'this connection does not exist (it may have been deleted)' } })
            : jsonResponse(201, JOBS[0]),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew();
    await waitFor(() => expect(screen.getByTestId('job-connection')).toHaveTextContent('Exports'));
    choose('job-connection', 'cn_gcs');
    await userEvent.type(screen.getByTestId('job-pattern'), '*.csv');
    await userEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('This connection does not exist (it may have been deleted)')).toBeInTheDocument();
    expect(screen.getByTestId('job-connection')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('job-editor-error')).toBeNull();
    choose('job-connection', '');
    expect(screen.queryByTestId('job-subfolders')).toBeNull();
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(2));
    expect(bodies(calls, 'POST', '/api/jobs')[1].file).toEqual({ prefix: '', pattern: '*.csv', format: '' });
    expect(bodies(calls, 'POST', '/api/jobs')[1].load_mode).toBe('append');
  });

  it('detects the schema of a chosen file and runs it again with other format options', async () => {
    const detection = (delimiter: number) => ({
      name: 'orders/a.csv',
      size: 120,
      format: 'csv',
      inferred: {
        format: 'csv',
        columns: [
          { name: 'order_id', original: 'Order ID', type: 'INT64', nullable: false, confidence: 1, samples: ['1', '2'] },
          { name: 'placed_at', original: 'placed_at', type: 'TIMESTAMP', nullable: true, confidence: 0.8, warning: 'only a sample was read', samples: ['2026-12-01 10:00:00'] },
        ],
        rows: 2,
        bad_rows: 0,
        complete: true,
        delimiter,
        has_header: true,
        detected_encoding: 'utf-8',
      },
      rows: [
        ['1', '2026-12-01 10:00:00'],
        ['2', null],
      ],
      truncated: false,
    });
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/connections/cn_gcs/files': (c: RecordedCall) =>
          c.search.includes('pattern=*.csv') || c.search.includes('pattern=%2A.csv')
            ? { files: [{ key: 'exports/orders/a.csv', name: 'a.csv', size: 120, last_modified: '2026-12-01T00:00:00Z' }] }
            : { files: [] },
        'POST /api/connections/cn_gcs/files/detect': (c: RecordedCall) => detection(JSON.parse(String(c.body)).delimiter === ';' ? 59 : 44),
        'POST /api/jobs': jsonResponse(201, JOBS[0]),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew();
    await waitFor(() => expect(screen.getByTestId('job-connection')).toHaveTextContent('Exports'));
    choose('job-connection', 'cn_gcs');
    await userEvent.type(screen.getByTestId('job-prefix'), 'orders/');
    await userEvent.type(screen.getByTestId('job-pattern'), '*.csv');
    await waitFor(() => expect(screen.getByTestId('detect-file')).toHaveTextContent('exports/orders/a.csv'));
    choose('detect-file', 'exports/orders/a.csv');
    await userEvent.click(screen.getByTestId('detect-run'));
    const result = await screen.findByTestId('detect-result');
    // The file is named below the connection's prefix, as the route takes it.
    expect(bodies(calls, 'POST', '/api/connections/cn_gcs/files/detect')).toEqual([{ name: 'orders/a.csv' }]);
    expect(result).toHaveTextContent('CSV, delimiter “,”, header row, utf-8 · 2 rows read');
    const cols = within(screen.getByTestId('detected-columns')).getAllByTestId('detected-column');
    expect(cols.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent))).toEqual([
      ['order_id', 'INT64', '100%', '1, 2'],
      ['placed_at', 'TIMESTAMP', '80% ⚠', '2026-12-01 10:00:00'],
    ]);
    const rows = within(screen.getByTestId('detected-rows')).getAllByRole('row');
    expect(rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent))).toEqual([[], ['1', '2026-12-01 10:00:00'], ['2', 'NULL']]);
    choose('detect-delimiter', ';');
    choose('detect-header', 'no');
    choose('detect-encoding', 'latin-1');
    await waitFor(() => expect(screen.getByTestId('detect-result')).toHaveTextContent('delimiter “;”'));
    expect(bodies(calls, 'POST', '/api/connections/cn_gcs/files/detect').at(-1)).toEqual({ name: 'orders/a.csv', delimiter: ';', header: false, encoding: 'latin-1' });
    // The options detection read the file with are the job's.
    expect(screen.getByTestId('detect-options-note')).toHaveTextContent('The job loads its files with these options.');
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(1));
    expect(bodies(calls, 'POST', '/api/jobs')[0].file).toEqual({
      prefix: 'orders/',
      pattern: '*.csv',
      format: '',
      delimiter: ';',
      has_header: false,
      encoding: 'latin-1',
      connection_id: 'cn_gcs',
      subfolders: false,
      mode: 'all',
    });
  });
});

const ORDERS_META = {
  schema: 'public',
  table: 'orders',
  columns: [
    { name: 'id', original_name: 'id', name_changed: false, source_type: 'bigint', type: 'INT64', confidence: 'high', nullable: false, primary_key: true, temporal: false },
    { name: 'updated_at', original_name: 'updated_at', name_changed: false, source_type: 'timestamptz', type: 'TIMESTAMP', confidence: 'high', nullable: false, primary_key: false, temporal: true },
  ],
  total_rows: 1200,
  rows_exact: true,
  recommended: { timestamp_column: 'updated_at', timestamp_reason: 'It is indexed and set on every update.', primary_key: ['id'] },
};

describe('JobEditor: database jobs', () => {
  it('pre-fills the recommended timestamp column and sends a merge job with its lookback', async () => {
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/connections/cn_pg/schemas': { schemas: ['public', 'sales'] },
        'GET /api/connections/cn_pg/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }] },
        'GET /api/connections/cn_pg/tables/public/orders': ORDERS_META,
        'POST /api/jobs': jsonResponse(201, DB_JOB),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew();
    await userEvent.click(screen.getByText('Database table'));
    await waitFor(() => expect(screen.getByTestId('job-db-connection')).toHaveTextContent('Shop (PostgreSQL)'));
    expect(screen.getByTestId('job-db-connection')).not.toHaveTextContent('Exports');
    choose('job-db-connection', 'cn_bq');
    expect(screen.getByText(/BigQuery queries run, and are billed, in the billing project/)).toBeInTheDocument();
    expect((screen.getByTestId('job-db-schema') as HTMLSelectElement).labels?.[0]).toHaveTextContent('Dataset');
    choose('job-db-connection', 'cn_pg');
    await waitFor(() => expect(screen.getByTestId('job-db-schema')).toHaveTextContent('sales'));
    choose('job-db-schema', 'public');
    await waitFor(() => expect(screen.getByTestId('job-db-table')).toHaveTextContent('orders (1,200 rows)'));
    choose('job-db-table', 'orders');
    await waitFor(() => expect(screen.getByTestId('job-db-timestamp')).toHaveValue('updated_at'));
    expect(screen.getByText(/Recommended: updated_at\. It is indexed and set on every update\./)).toBeInTheDocument();
    expect(screen.queryByTestId('job-db-lookback')).toBeNull(); // merge only
    await userEvent.click(screen.getByText('Merge'));
    await userEvent.type(screen.getByTestId('job-merge-keys'), 'id');
    fireEvent.change(screen.getByTestId('job-db-historical-start'), { target: { value: '2026-01-01' } });
    await userEvent.type(screen.getByTestId('job-db-lookback'), '15');
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(1));
    expect(bodies(calls, 'POST', '/api/jobs')[0]).toEqual({
      name: 'Orders',
      source_type: 'postgresql',
      file: { prefix: '', pattern: '' },
      database: { connection_id: 'cn_pg', schema: 'public', table: 'orders', timestamp_column: 'updated_at', historical_start: '2026-01-01T00:00:00Z', lookback_minutes: 15 },
      dest: { dataset: 'raw_data' },
      load_mode: 'merge',
      merge_keys: ['id'],
      schema_evolution: 'refuse',
      schedule: { type: 'manual' },
      enabled: true,
    });
  });

  it('shows validation messages under the database fields the API names', async () => {
    const { fetch } = fakeFetch(
      routes({
        'GET /api/connections/cn_pg/schemas': { schemas: ['public'] },
        'GET /api/connections/cn_pg/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }] },
        'GET /api/connections/cn_pg/tables/public/orders': { ...ORDERS_META, recommended: { timestamp_column: '', timestamp_reason: '', primary_key: ['id'] } },
        'POST /api/jobs': jsonResponse(400, {
          error: { kind: 'invalid', field: 'database.timestamp_column', message: 'column "id" of public.orders is a key, not a date, time or integer column' },
        }),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew();
    await userEvent.click(screen.getByText('Database table'));
    await waitFor(() => expect(screen.getByTestId('job-db-connection')).toHaveTextContent('Shop'));
    choose('job-db-connection', 'cn_pg');
    await waitFor(() => expect(screen.getByTestId('job-db-table')).toHaveTextContent('orders'));
    choose('job-db-table', 'orders');
    await waitFor(() => expect(screen.getByTestId('job-db-timestamp')).toHaveTextContent('updated_at (timestamptz)'));
    choose('job-db-timestamp', 'id');
    await userEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('Column "id" of public.orders is a key, not a date, time or integer column')).toBeInTheDocument();
    expect(screen.getByTestId('job-db-timestamp')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('job-editor-error')).toBeNull();
  });

  it('resets the watermark after a confirmation that explains it, showing a 409 in the dialog', async () => {
    let posts = 0;
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/connections/cn_pg/schemas': { schemas: ['public'] },
        'GET /api/connections/cn_pg/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }] },
        'GET /api/connections/cn_pg/tables/public/orders': ORDERS_META,
        'POST /api/jobs/jb_db/reset-watermark': () =>
          ++posts === 1
            ? jsonResponse(409, { error: { kind: 'conflict', message: 'A run of orders is in progress: reset the watermark once it has finished.' } })
            : { ...DB_JOB, state: undefined },
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openEdit('orders');
    expect(await screen.findByTestId('job-watermark-state')).toHaveTextContent('Watermark 2026-12-01T00:00:00Z');
    expect(screen.getByTestId('job-db-timestamp')).toHaveValue('updated_at');
    await userEvent.click(screen.getByTestId('job-reset-watermark'));
    const dialog = await screen.findByTestId('reset-watermark-dialog');
    expect(dialog).toHaveTextContent('The next run of orders reads the whole table again');
    expect(dialog).toHaveTextContent('the rows already loaded are loaded again (duplicates) unless you empty the table first');
    await userEvent.click(within(dialog).getByTestId('reset-watermark-confirm'));
    expect(await within(dialog).findByTestId('reset-watermark-error')).toHaveTextContent('A run of orders is in progress');
    await userEvent.click(within(dialog).getByTestId('reset-watermark-confirm'));
    await waitFor(() => expect(screen.queryByTestId('reset-watermark-dialog')).toBeNull());
    expect(screen.getByTestId('job-watermark-state')).toHaveTextContent('No watermark: the next run reads from the start');
    expect(screen.getByTestId('job-reset-watermark')).toBeDisabled();
    expect(calls.filter((c) => c.path === '/api/jobs/jb_db/reset-watermark').map((c) => c.method)).toEqual(['POST', 'POST']);
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false);
  });

  it('changes only the lookback of a merge job that has run, and patches the source with it', async () => {
    const merge: JobView = { ...DB_JOB, load_mode: 'merge', merge_keys: ['id'] };
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/jobs': { jobs: [merge] },
        'GET /api/connections/cn_pg/schemas': { schemas: ['public'] },
        'GET /api/connections/cn_pg/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }] },
        'GET /api/connections/cn_pg/tables/public/orders': ORDERS_META,
        'PATCH /api/jobs/jb_db': { ...merge, database: { ...merge.database!, lookback_minutes: 30 } },
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openEdit('orders');
    expect(await screen.findByTestId('job-db-connection')).toBeDisabled();
    expect(screen.getByTestId('job-db-table')).toBeDisabled();
    expect(screen.getByTestId('job-db-timestamp')).toBeDisabled();
    await userEvent.type(screen.getByTestId('job-db-lookback'), '30');
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'PATCH', '/api/jobs/jb_db')).toHaveLength(1));
    expect(bodies(calls, 'PATCH', '/api/jobs/jb_db')[0]).toEqual({
      database: { connection_id: 'cn_pg', schema: 'public', table: 'orders', timestamp_column: 'updated_at', lookback_minutes: 30 },
    });
  });
});
