import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../api/types';
import { fakeFetch, jsonResponse, type RecordedCall } from '../../test/fakeApi';
import { connection, JOBS, run, session } from '../../test/fixtures';
import { daysBefore } from './JobEditor';
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

async function openNew(source = 'drop') {
  await userEvent.click(await screen.findByTestId('job-new'));
  await userEvent.type(await screen.findByTestId('job-name'), 'Orders');
  await userEvent.click(await screen.findByTestId(`pick-source-${source}`));
}

/** "Next" until the wizard shows step `n` (0-based). */
async function nextTo(n: number) {
  while (Number(screen.getByTestId('job-wizard').dataset.step) < n) await userEvent.click(screen.getByTestId('job-next'));
  await screen.findByTestId(`job-step-${n}`);
}

const DESTINATION = {
  table_exists: false,
  columns: [
    { source: 'Order ID', name: 'order_id', default_name: 'order_id', type: 'INT64', default_type: 'INT64', allowed_types: ['INT64', 'NUMERIC', 'FLOAT64', 'STRING'], mode: 'REQUIRED', lineage: false },
    { source: 'Placed At', name: 'placed_at', default_name: 'placed_at', type: 'TIMESTAMP', default_type: 'TIMESTAMP', allowed_types: ['TIMESTAMP', 'STRING'], mode: 'NULLABLE', lineage: false },
    { source: '', name: '_b2b_run_id', default_name: '_b2b_run_id', type: 'STRING', default_type: 'STRING', allowed_types: ['STRING'], mode: 'REQUIRED', lineage: true },
  ],
  compatibility: { compatible: true, added: [], missing: [], changed: [], message: '' },
  partition_candidates: ['placed_at'],
  warehouse: 'duckdb',
};

async function openEdit(name: string) {
  const row = (await screen.findAllByTestId('job-row')).find((r) => r.textContent?.includes(name));
  await userEvent.click(within(row!).getByTestId('job-menu'));
  await userEvent.click(await screen.findByTestId('job-edit'));
}

describe('JobEditor: the wizard over a bucket connection', () => {
  it('lists the files the pattern selects, marks the newest in latest-only mode and sends the job with its destination grid edits', async () => {
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/connections/cn_gcs/files': {
          files: [
            { key: 'exports/orders/b.csv', name: 'b.csv', size: 2048, last_modified: '2026-12-02T00:00:00Z' },
            { key: 'exports/orders/a.csv', name: 'a.csv', size: 1024, last_modified: '2026-12-01T00:00:00Z' },
          ],
        },
        'POST /api/jobs/destination': DESTINATION,
        'POST /api/jobs': jsonResponse(201, JOBS[0]),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-new'));
    await userEvent.type(await screen.findByTestId('job-name'), 'Orders');
    const cards = await screen.findByTestId('job-connection');
    await waitFor(() => expect(cards).toHaveTextContent('Exports'));
    expect(cards).toHaveTextContent('Drop folder');
    expect(cards).toHaveTextContent('Shop');
    await userEvent.click(screen.getByTestId('pick-source-cn_gcs'));
    expect(screen.getByTestId('pick-source-cn_gcs')).toHaveAttribute('data-selected', 'true');
    await nextTo(1);
    await userEvent.type(screen.getByTestId('job-prefix'), 'orders/');
    await userEvent.type(screen.getByTestId('job-pattern'), '*.csv');
    await userEvent.click(screen.getByTestId('job-subfolders'));
    const modes = screen.getByTestId('job-file-mode');
    expect(modes).toHaveTextContent('Each run loads the files it has not loaded yet');
    expect(modes).toHaveTextContent('replaces the whole table');
    await userEvent.click(screen.getByTestId('file-mode-latest'));
    await waitFor(() => expect(screen.getAllByTestId('job-file')).toHaveLength(2));
    const files = screen.getAllByTestId('job-file');
    expect(files.map((f) => [f.dataset.key, f.dataset.skipped])).toEqual([
      ['exports/orders/b.csv', 'false'],
      ['exports/orders/a.csv', 'true'],
    ]);
    expect(files[0]).toHaveTextContent('newest: the next run loads it');
    await nextTo(2);
    expect(screen.getByTestId('job-load-mode-latest')).toHaveTextContent('the newest file replaces the table');
    expect(screen.getByTestId('job-load-mode')).toHaveAttribute('data-value', 'truncate');
    await nextTo(3);
    // The grid reads the newest file, named below the connection's prefix.
    await waitFor(() => expect(screen.getAllByTestId('dest-column')).toHaveLength(3));
    expect(bodies(calls, 'POST', '/api/jobs/destination')[0].object).toBe('orders/b.csv');
    expect(screen.getByTestId('job-layout-note')).toHaveTextContent('apply in the cloud warehouse (BigQuery)');
    const [id, placed] = screen.getAllByTestId('dest-column');
    const name = within(id).getByTestId('dest-name');
    await userEvent.clear(name);
    await userEvent.type(name, 'order_no');
    fireEvent.change(within(id).getByTestId('dest-type'), { target: { value: 'STRING' } });
    expect(within(placed).getByTestId('dest-type')).toHaveTextContent('TIMESTAMP (detected)');
    await userEvent.click(screen.getByTestId('job-lineage'));
    choose('job-partition', 'placed_at');
    // The grid is asked again with the edits (once typing pauses).
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs/destination').at(-1).job.dest.columns).toEqual([{ source: 'Order ID', name: 'order_no', type: 'STRING' }]), { timeout: 3000 });
    await nextTo(4);
    const review = screen.getByTestId('job-review');
    expect(review).toHaveTextContent('Replace with the newest file');
    expect(review).toHaveTextContent('Order ID → order_no STRING');
    expect(review).toHaveTextContent('By day on placed_at');
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(1));
    expect(bodies(calls, 'POST', '/api/jobs')[0]).toEqual({
      name: 'Orders',
      file: { prefix: 'orders/', pattern: '*.csv', format: '', connection_id: 'cn_gcs', subfolders: true, mode: 'latest' },
      dest: {
        dataset: 'raw_data',
        columns: [{ source: 'Order ID', name: 'order_no', type: 'STRING' }],
        lineage: false,
        partition: { column: 'placed_at', granularity: 'day' },
      },
      load_mode: 'truncate',
      schema_evolution: 'refuse',
      schedule: { type: 'manual' },
      enabled: true,
    });
  });

  it('shows the compatibility report against an existing table and a refused type under its row, on the destination step', async () => {
    let posts = 0;
    const { fetch } = fakeFetch(
      routes({
        'GET /api/connections/cn_gcs/files': { files: [{ key: 'exports/a.csv', name: 'a.csv', size: 10, last_modified: '2026-12-01T00:00:00Z' }] },
        'POST /api/jobs/destination': {
          ...DESTINATION,
          table_exists: true,
          compatibility: {
            compatible: false,
            added: ['placed_at'],
            missing: ['region'],
            changed: [{ name: 'order_id', table_type: 'STRING', source_type: 'INT64' }],
            message: 'The table lacks placed_at: choose “Add new columns” or the runs are refused.',
          },
        },
        'POST /api/jobs': () =>
          ++posts === 1
            ? jsonResponse(400, { error: { kind: 'invalid', field: 'dest.columns[0].type', message: 'TIMESTAMP cannot become INT64 safely: choose one of TIMESTAMP, STRING' } })
            : jsonResponse(201, JOBS[0]),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew('cn_gcs');
    await nextTo(1);
    await userEvent.type(screen.getByTestId('job-pattern'), '*.csv');
    await nextTo(3);
    await userEvent.type(screen.getByTestId('job-table'), 'orders');
    const alert = await screen.findByTestId('job-compatibility');
    expect(alert).toHaveAttribute('data-compatible', 'false');
    expect(alert).toHaveTextContent('raw_data.orders exists and does not fit');
    expect(within(alert).getByTestId('compat-added')).toHaveTextContent('New columns the table lacks: placed_at');
    expect(within(alert).getByTestId('compat-missing')).toHaveTextContent('Table columns the source lacks (loaded empty): region');
    expect(within(alert).getByTestId('compat-changed')).toHaveTextContent('order_id: INT64 in the source, STRING in the table');
    expect(alert).toHaveTextContent('choose “Add new columns”');
    const placed = screen.getAllByTestId('dest-column')[1];
    fireEvent.change(within(placed).getByTestId('dest-type'), { target: { value: 'STRING' } });
    await nextTo(4);
    await userEvent.click(screen.getByTestId('job-save'));
    // The wizard goes back to the grid and shows the message under the row the API names.
    await screen.findByTestId('job-step-3');
    await waitFor(() => expect(screen.getByText('TIMESTAMP cannot become INT64 safely: choose one of TIMESTAMP, STRING')).toBeInTheDocument());
    expect(within(screen.getAllByTestId('dest-column')[1]).getByTestId('dest-type')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('job-editor-error')).toBeNull();
  });

  it('keeps the drop folder body unchanged and shows the API message under the connection cards', async () => {
    let posts = 0;
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/files': { files: [{ name: 'orders_1.csv', size: 10, modified: '2026-12-01T00:00:00Z' }, { name: 'other.csv', size: 10, modified: '2026-12-02T00:00:00Z' }] },
        'POST /api/jobs': () =>
          ++posts === 1
            ? jsonResponse(404, { error: { kind: 'not_found', field: 'file.connection_id', message: 'this connection does not exist (it may have been deleted)' } })
            : jsonResponse(201, JOBS[0]),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew('cn_gcs');
    await nextTo(1);
    await userEvent.type(screen.getByTestId('job-pattern'), '*.csv');
    await nextTo(4);
    await userEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('This connection does not exist (it may have been deleted)')).toBeInTheDocument();
    expect(screen.getByTestId('job-step-0')).toBeInTheDocument();
    expect(screen.getByTestId('job-connection')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('job-editor-error')).toBeNull();
    await userEvent.click(screen.getByTestId('pick-source-drop'));
    await nextTo(1);
    expect(screen.queryByTestId('job-subfolders')).toBeNull();
    const pattern = screen.getByTestId('job-pattern');
    await userEvent.clear(pattern);
    await userEvent.type(pattern, 'orders_*.csv');
    // The drop folder's files are matched here: only orders_1.csv.
    await waitFor(() => expect(screen.getAllByTestId('job-file').map((f) => f.dataset.key)).toEqual(['orders_1.csv']));
    await nextTo(4);
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(2));
    expect(bodies(calls, 'POST', '/api/jobs')[1].file).toEqual({ prefix: '', pattern: 'orders_*.csv', format: '' });
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
    await openNew('cn_gcs');
    await nextTo(1);
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
    await nextTo(4);
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

describe('JobEditor: the live name check', () => {
  it('asks once typing pauses, shows the message under the name and keeps the wizard on the step', async () => {
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/jobs/name-check': (c: RecordedCall) => {
          const name = new URLSearchParams(c.search).get('name');
          return name === 'Orders'
            ? { name, available: false, message: 'A job named "Orders" already exists. Pick another name.' }
            : { name, available: true, message: '' };
        },
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-new'));
    await userEvent.type(await screen.findByTestId('job-name'), 'Orders');
    expect(await screen.findByText('A job named "Orders" already exists. Pick another name.')).toBeInTheDocument();
    // One request for the whole name, not one per key.
    expect(calls.filter((c) => c.path === '/api/jobs/name-check').map((c) => c.search)).toEqual(['?name=Orders']);
    await userEvent.click(screen.getByTestId('job-next'));
    expect(screen.getByTestId('job-step-0')).toBeInTheDocument();
    expect(screen.getByTestId('job-name')).toHaveAttribute('aria-invalid', 'true');
    await userEvent.type(screen.getByTestId('job-name'), ' 2');
    expect(await screen.findByTestId('job-name-available')).toHaveTextContent('The name is free.');
    await userEvent.click(screen.getByTestId('job-next'));
    expect(await screen.findByTestId('job-step-1')).toBeInTheDocument();
  });

  it('sends the edited job as job_id, and does not check the job’s own name', async () => {
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/jobs/name-check': (c: RecordedCall) => ({ name: new URLSearchParams(c.search).get('name'), available: true, message: '' }),
        'GET /api/connections/cn_pg/schemas': { schemas: ['public'] },
        'GET /api/connections/cn_pg/tables': { tables: [] },
        'GET /api/connections/cn_pg/tables/public/orders': ORDERS_META,
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openEdit('orders');
    const name = await screen.findByTestId('job-name');
    await new Promise((r) => setTimeout(r, 500));
    expect(calls.filter((c) => c.path === '/api/jobs/name-check')).toHaveLength(0);
    await userEvent.type(name, ' v2');
    await waitFor(() => expect(calls.filter((c) => c.path === '/api/jobs/name-check').map((c) => c.search)).toEqual(['?name=orders+v2&job_id=jb_db']));
  });
});

describe('JobEditor: create and run now', () => {
  it('creates the job, starts it and opens the run page', async () => {
    const started = run({ id: 'rn_new', job_id: 'jb_1', status: 'pending', created_at: new Date().toISOString() });
    const { fetch, calls } = fakeFetch(
      routes({
        'POST /api/jobs': jsonResponse(201, JOBS[0]),
        'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [started] }),
        'GET /api/runs/rn_new': started,
        'GET /api/runs/rn_new/logs': { run_id: 'rn_new', lines: [], dropped: 0 },
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew();
    await nextTo(1);
    await userEvent.type(screen.getByTestId('job-pattern'), 'orders_*.csv');
    await nextTo(4);
    await userEvent.click(screen.getByTestId('job-save-run'));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/api/jobs/jb_1/runs')).toBe(true));
    expect(await screen.findByTestId('stage-timeline')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/jobs')).map((c) => c.path)).toEqual(['/api/jobs', '/api/jobs/jb_1/runs']);
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
  it('shows the table with its columns and rows, pre-fills the recommended watermark and sends a merge job with its backfill and lookback', async () => {
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/connections/cn_pg/schemas': { schemas: ['public', 'sales'] },
        'GET /api/connections/cn_pg/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }] },
        'GET /api/connections/cn_pg/tables/public/orders': ORDERS_META,
        'POST /api/jobs/destination': { ...DESTINATION, columns: [], partition_candidates: ['updated_at'] },
        'POST /api/jobs': jsonResponse(201, DB_JOB),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew('cn_bq');
    await nextTo(1);
    expect((screen.getByTestId('job-db-schema') as HTMLSelectElement).labels?.[0]).toHaveTextContent('Dataset');
    await userEvent.click(screen.getByTestId('job-back'));
    await userEvent.click(screen.getByTestId('pick-source-cn_pg'));
    await nextTo(1);
    await waitFor(() => expect(screen.getByTestId('job-db-schema')).toHaveTextContent('sales'));
    choose('job-db-schema', 'public');
    await waitFor(() => expect(screen.getByTestId('job-db-table')).toHaveTextContent('orders (1,200 rows)'));
    choose('job-db-table', 'orders');
    const columns = await screen.findByTestId('job-db-columns');
    expect(columns).toHaveTextContent('2 columns · 1,200 rows');
    expect(screen.getAllByTestId('job-db-column').map((r) => r.dataset.name)).toEqual(['id', 'updated_at']);
    await nextTo(2);
    await waitFor(() => expect(screen.getByTestId('job-db-timestamp')).toHaveValue('updated_at'));
    expect(screen.getByText(/Recommended: updated_at\. It is indexed and set on every update\./)).toBeInTheDocument();
    expect(screen.queryByTestId('job-db-lookback')).toBeNull(); // merge only
    await userEvent.click(screen.getByTestId('load-mode-merge'));
    await userEvent.type(screen.getByTestId('job-merge-keys'), 'id');
    await userEvent.click(screen.getByText('90 days'));
    await userEvent.type(screen.getByTestId('job-db-lookback'), '15');
    await nextTo(4);
    expect(screen.getByTestId('job-review')).toHaveTextContent(`updated_at, first run: from ${daysBefore(new Date(), 90)}`);
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(1));
    expect(bodies(calls, 'POST', '/api/jobs')[0]).toEqual({
      name: 'Orders',
      source_type: 'postgresql',
      file: { prefix: '', pattern: '' },
      database: {
        connection_id: 'cn_pg',
        schema: 'public',
        table: 'orders',
        timestamp_column: 'updated_at',
        historical_start: `${daysBefore(new Date(), 90)}T00:00:00Z`,
        lookback_minutes: 15,
      },
      dest: { dataset: 'raw_data' },
      load_mode: 'merge',
      merge_keys: ['id'],
      schema_evolution: 'refuse',
      schedule: { type: 'manual' },
      enabled: true,
    });
  });

  it('backfills all rows or from a date, and an integer watermark has no dates', async () => {
    const meta = {
      ...ORDERS_META,
      recommended: { timestamp_column: '', timestamp_reason: '', primary_key: ['id'] },
    };
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/connections/cn_pg/schemas': { schemas: ['public'] },
        'GET /api/connections/cn_pg/tables': { tables: [{ name: 'orders', rows: 1200, rows_exact: true }] },
        'GET /api/connections/cn_pg/tables/public/orders': meta,
        'POST /api/jobs': jsonResponse(201, DB_JOB),
      }),
    );
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await openNew('cn_pg');
    await nextTo(1);
    await waitFor(() => expect(screen.getByTestId('job-db-table')).toHaveTextContent('orders'));
    choose('job-db-table', 'orders');
    await screen.findByTestId('job-db-columns');
    await nextTo(2);
    await waitFor(() => expect(screen.getByTestId('job-db-timestamp')).toHaveTextContent('updated_at (timestamptz)'));
    choose('job-db-timestamp', 'updated_at');
    await userEvent.click(screen.getByText('From a date'));
    fireEvent.change(screen.getByTestId('job-db-historical-start'), { target: { value: '2026-01-01' } });
    choose('job-db-timestamp', 'id');
    expect(screen.queryByTestId('job-db-backfill')).toBeNull();
    await nextTo(4);
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'POST', '/api/jobs')).toHaveLength(1));
    expect(bodies(calls, 'POST', '/api/jobs')[0].database).toEqual({ connection_id: 'cn_pg', schema: 'public', table: 'orders', timestamp_column: 'id' });
  });

  it('goes back to the step of the field the API names and shows the message under it', async () => {
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
    await openNew('cn_pg');
    await nextTo(1);
    // A table is needed to go on.
    await userEvent.click(screen.getByTestId('job-next'));
    expect(await screen.findByText('Choose the table to load.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('job-db-table')).toHaveTextContent('orders'));
    choose('job-db-table', 'orders');
    await nextTo(2);
    await waitFor(() => expect(screen.getByTestId('job-db-timestamp')).toHaveTextContent('updated_at (timestamptz)'));
    choose('job-db-timestamp', 'id');
    await nextTo(4);
    await userEvent.click(screen.getByTestId('job-save'));
    expect(await screen.findByText('Column "id" of public.orders is a key, not a date, time or integer column')).toBeInTheDocument();
    expect(screen.getByTestId('job-step-2')).toBeInTheDocument();
    expect(screen.getByTestId('job-db-timestamp')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('job-editor-error')).toBeNull();
  });

  it('opens a database job in the database flavour and resets the watermark after a confirmation, showing a 409 in the dialog', async () => {
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
    expect(await screen.findByTestId('pick-source-cn_pg')).toHaveAttribute('data-selected', 'true');
    expect(screen.getByTestId('pick-source-drop')).toBeDisabled();
    await userEvent.click(screen.getByTestId('job-step-tab-2'));
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
    await userEvent.click(await screen.findByTestId('job-step-tab-1'));
    expect(await screen.findByTestId('job-db-table')).toBeDisabled();
    await userEvent.click(screen.getByTestId('job-step-tab-2'));
    expect(await screen.findByTestId('job-db-timestamp')).toBeDisabled();
    await userEvent.type(screen.getByTestId('job-db-lookback'), '30');
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(bodies(calls, 'PATCH', '/api/jobs/jb_db')).toHaveLength(1));
    expect(bodies(calls, 'PATCH', '/api/jobs/jb_db')[0]).toEqual({
      database: { connection_id: 'cn_pg', schema: 'public', table: 'orders', timestamp_column: 'updated_at', lookback_minutes: 30 },
    });
  });
});
