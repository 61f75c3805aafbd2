import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { DatasetVersion, DatasetView, Preview, QualityReport } from '../../api/datasets';
import type { Table } from '../../api/types';
import { fakeFetch, jsonResponse, type RecordedCall } from '../../test/fakeApi';
import { session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { savedMessage } from './DatasetWizardPage';

const base = { 'GET /api/auth/me': { user: session().user, tenant: session().tenant } };

const LINES: Table = {
  dataset: 'raw_data',
  name: 'lines',
  schema: [
    { name: 'customer_id', type: 'STRING', nullable: true },
    { name: 'stock_code', type: 'STRING', nullable: true },
    { name: 'invoice_ts', type: 'TIMESTAMP', nullable: true },
    { name: 'amount', type: 'FLOAT64', nullable: true },
  ],
  num_rows: 541909,
  num_bytes: 0,
  created: '2026-11-01T00:00:00Z',
  modified: '2026-11-01T00:00:00Z',
};
const PRODUCTS: Table = {
  ...LINES,
  name: 'products',
  schema: [
    { name: 'code', type: 'STRING', nullable: true },
    { name: 'description', type: 'STRING', nullable: true },
  ],
  num_rows: 4070,
};

function view(over: Partial<DatasetView> = {}): DatasetView {
  return {
    id: 'ds_1',
    name: 'retail',
    description: 'Invoice lines with products',
    primary_table: { dataset: 'raw_data', table: 'lines' },
    secondary_tables: [{ dataset: 'raw_data', table: 'products' }],
    joins: [{ left: { table: 'lines', column: 'stock_code' }, right: { table: 'products', column: 'code' }, type: 'left' }],
    columns: [
      { table: 'lines', column: 'customer_id', role: 'customer_id' },
      { table: 'lines', column: 'stock_code', role: 'product_id' },
    ],
    filters: [{ kind: 'top_share', entity: 'product', percent: 80 }],
    split: { kind: 'time_holdout', holdout_days: 14 },
    version: 2,
    created_at: '2026-11-20T10:00:00Z',
    updated_at: '2026-11-25T10:00:00Z',
    output_columns: [
      { name: 'customer_id', type: 'STRING', role: 'customer_id' },
      { name: 'stock_code', type: 'STRING', role: 'product_id' },
    ],
    filter_summary: ['1. Top 80% of products by revenue'],
    experiments_count: 1,
    ...over,
  };
}

const QUALITY: QualityReport = {
  score: 70,
  issues: [
    { code: 'cold_products', severity: 'warning', message: 'Many products have fewer than 5 interactions.', value: 0.62, threshold: 0.5 },
    { code: 'short_span', severity: 'warning', message: 'The data covers fewer than 90 days.', value: 40, threshold: 90 },
  ],
  measures: { rows: 397924, customers: 4339, products: 3665, interactions_per_customer: 91.7, interactions_per_product: 108.6, span_days: 40 },
  thresholds: { min_rows: 1000, max_cold_share: 0.5, min_span_days: 90 },
};

const preview = (seed: number): Preview => ({
  columns: [
    { name: 'customer_id', type: 'STRING', role: 'customer_id' },
    { name: 'stock_code', type: 'STRING', role: 'product_id' },
  ],
  rows: [
    [`c${seed}`, 'A'],
    [null, 'B'],
  ],
  total: 397924,
  seed,
});

describe('Datasets list', () => {
  it('lists datasets and explains a refused delete', async () => {
    const { fetch, calls } = fakeFetch({
      ...base,
      'GET /api/datasets': { datasets: [view()] },
      'DELETE /api/datasets/ds_1': jsonResponse(409, { error: { kind: 'conflict', message: 'The dataset is used by 1 experiment: delete the experiment first.' } }),
    });
    renderApp({ path: '/datasets', session: session(), fetch });
    const row = await screen.findByTestId('dataset-row');
    expect(row).toHaveAttribute('data-name', 'retail');
    expect(row).toHaveTextContent('lines + products');
    expect(row).toHaveTextContent('v2');
    expect(row).toHaveTextContent('Top 80% of products by revenue');

    await userEvent.click(within(row).getByTestId('dataset-delete'));
    expect(await screen.findByRole('dialog')).toHaveTextContent('It is used by an experiment, so the delete will be refused.');
    await userEvent.click(screen.getByTestId('dataset-delete-confirm'));
    expect(await screen.findByTestId('dataset-delete-error')).toHaveTextContent('The dataset is used by 1 experiment: delete the experiment first.');
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it('viewers get no create or delete', async () => {
    const { fetch } = fakeFetch({ ...base, 'GET /api/auth/me': { user: session('viewer').user, tenant: session().tenant }, 'GET /api/datasets': { datasets: [view()] } });
    renderApp({ path: '/datasets', session: session('viewer'), fetch });
    await screen.findByTestId('dataset-row');
    expect(screen.queryByTestId('dataset-new')).toBeNull();
    expect(screen.queryByTestId('dataset-delete')).toBeNull();
  });

  it('a viewer who opens the wizard by its address is told it is read-only', async () => {
    const { fetch, calls } = fakeFetch({ ...base, 'GET /api/auth/me': { user: session('viewer').user, tenant: session().tenant }, 'GET /api/tables': { tables: [LINES] } });
    renderApp({ path: '/datasets/new', session: session('viewer'), fetch });
    expect(await screen.findByTestId('error-state')).toHaveTextContent('Only editors and admins can create or change datasets.');
    expect(screen.queryByTestId('wizard-next')).toBeNull();
    expect(calls.some((c) => c.method !== 'GET')).toBe(false);
  });
});

describe('Dataset detail', () => {
  it('shows columns with roles, quality, a seeded preview, SQL and a version diff', async () => {
    const v = (n: number, percent: number): DatasetVersion => ({
      dataset_id: 'ds_1',
      version: n,
      model: { ...view(), filters: [{ kind: 'top_share', entity: 'product', percent }] },
      sql: { bigquery: { sql: '', params: [] }, duckdb: { sql: '', params: [] } },
      created_at: '2026-11-25T10:00:00Z',
    });
    const { fetch, calls } = fakeFetch({
      ...base,
      'GET /api/datasets/ds_1': view(),
      'GET /api/datasets/ds_1/quality': QUALITY,
      'GET /api/datasets/ds_1/preview': (c: RecordedCall) => preview(Number(new URLSearchParams(c.search).get('seed'))),
      'GET /api/datasets/ds_1/sql': (c: RecordedCall) => ({ sql: `-- ${new URLSearchParams(c.search).get('dialect')}\nSELECT 1`, params: [{ name: 'p1', type: 'float64', value: 0.8 }] }),
      'GET /api/datasets/ds_1/versions': { versions: [v(2, 80), v(1, 50)] },
      'GET /api/datasets/ds_1/versions/1': v(1, 50),
      'GET /api/datasets/ds_1/versions/2': v(2, 80),
    });
    renderApp({ path: '/datasets/ds_1', session: session(), fetch });
    const cols = await screen.findAllByTestId('output-column');
    expect(cols.map((c) => c.getAttribute('data-role'))).toEqual(['customer_id', 'product_id']);
    expect(screen.getByTestId('filter-summary')).toHaveTextContent('1. Top 80% of products by revenue');

    await userEvent.click(screen.getByRole('tab', { name: 'Data quality' }));
    expect(await screen.findByTestId('quality-score')).toHaveTextContent('70');
    const issues = screen.getAllByTestId('quality-issue');
    expect(issues.map((i) => i.getAttribute('data-code'))).toEqual(['cold_products', 'short_span']);
    expect(issues[0]).toHaveTextContent('62.0% · threshold 50.0%');

    await userEvent.click(screen.getByRole('tab', { name: 'Preview' }));
    expect(await screen.findByTestId('preview-total')).toHaveTextContent('397,924');
    expect(screen.getAllByTestId('dataset-preview-row')[0]).toHaveTextContent('c1');
    await userEvent.click(screen.getByTestId('new-sample'));
    await waitFor(() => expect(screen.getAllByTestId('dataset-preview-row')[0]).toHaveTextContent('c2'));
    expect(calls.filter((c) => c.path === '/api/datasets/ds_1/preview').map((c) => new URLSearchParams(c.search).get('seed'))).toEqual(['1', '2']);

    await userEvent.click(screen.getByRole('tab', { name: 'SQL' }));
    expect(await screen.findByTestId('sql-text')).toHaveTextContent('-- duckdb');
    await userEvent.click(screen.getByText('BigQuery'));
    await waitFor(() => expect(screen.getByTestId('sql-text')).toHaveTextContent('-- bigquery'));
    await userEvent.click(screen.getByTestId('sql-training'));
    await waitFor(() => expect(calls.some((c) => c.path === '/api/datasets/ds_1/sql' && c.search.includes('training=true') && c.search.includes('dialect=bigquery'))).toBe(true));

    await userEvent.click(screen.getByRole('tab', { name: 'Versions' }));
    expect(await screen.findAllByTestId('version-row')).toHaveLength(2);
    const diff = await screen.findByTestId('version-diff');
    const changed = [...diff.querySelectorAll('[data-op="-"], [data-op="+"]')].map((e) => e.textContent);
    expect(changed).toEqual(['-       "percent": 50', '+       "percent": 80']);
  });
});

/** The routes the wizard calls while editing dataset ds_1; `put` answers the save. */
function editFetch(put: Response) {
  return fakeFetch({
    ...base,
    'GET /api/tables': { tables: [LINES, PRODUCTS] },
    'GET /api/datasets/ds_1': view(),
    'POST /api/datasets/role-suggestions': { suggestions: [] },
    'POST /api/datasets/join-suggestions': { suggestions: [] },
    'POST /api/datasets/compile': { sql: {}, output_columns: [], filter_summary: [] },
    'POST /api/datasets/quality': QUALITY,
    'POST /api/datasets/preview': preview(1),
    'POST /api/datasets/pareto': { entity: 'product', entities: 0, points: [] },
    'PUT /api/datasets/ds_1': put,
  });
}

describe('Dataset wizard', () => {
  it('creates a dataset through the four steps and shows a field error in place', async () => {
    const posted: unknown[] = [];
    let answer400 = true;
    const { fetch, calls } = fakeFetch({
      ...base,
      'GET /api/tables': { tables: [LINES, PRODUCTS] },
      'POST /api/datasets/role-suggestions': {
        suggestions: [
          { column: { table: 'lines', column: 'customer_id' }, role: 'customer_id', score: 95, confidence: 'high', reasons: ['name'] },
          { column: { table: 'lines', column: 'stock_code' }, role: 'product_id', score: 70, confidence: 'medium', reasons: ['name'] },
          { column: { table: 'lines', column: 'invoice_ts' }, role: 'timestamp', score: 90, confidence: 'high', reasons: ['type'] },
          { column: { table: 'lines', column: 'amount' }, role: 'revenue', score: 60, confidence: 'medium', reasons: ['name'] },
        ],
      },
      'POST /api/datasets/join-suggestions': {
        suggestions: [{ left: { table: 'lines', column: 'stock_code' }, right: { table: 'products', column: 'code' }, score: 85, confidence: 'high', reasons: ['values overlap'] }],
      },
      'POST /api/datasets/compile': { sql: {}, output_columns: [], filter_summary: ['1. Rows in the last 180 days of invoice_ts', '2. Top 80% of products by revenue'] },
      'POST /api/datasets/quality': QUALITY,
      'POST /api/datasets/preview': preview(1),
      'POST /api/datasets/pareto': { entity: 'product', entities: 4, points: [{ rank: 1, key: 'A', revenue: 50, share: 0.5 }, { rank: 2, key: 'B', revenue: 30, share: 0.8 }, { rank: 4, key: 'D', revenue: 5, share: 1 }] },
      'POST /api/datasets': (c: RecordedCall) => {
        posted.push(JSON.parse(String(c.body)));
        if (answer400) {
          answer400 = false;
          return jsonResponse(400, { error: { kind: 'invalid', message: 'the share of revenue must be more than 0 and at most 100', field: 'filters[1].percent' } });
        }
        return jsonResponse(201, view({ id: 'ds_9', version: 1 }));
      },
      'GET /api/datasets/ds_9': view({ id: 'ds_9', version: 1 }),
    });
    renderApp({ path: '/datasets/new', session: session(), fetch });

    // 1. info: the name is required
    await userEvent.click(await screen.findByTestId('wizard-next'));
    expect(screen.getByTestId('step-error')).toHaveTextContent('Give the dataset a name.');
    await userEvent.type(screen.getByTestId('dataset-name'), 'retail');
    await userEvent.click(screen.getByTestId('wizard-next'));

    // 2. tables: primary and secondary
    const tableRows = await screen.findAllByTestId('wizard-table');
    expect(tableRows[0]).toHaveTextContent('541,909');
    await userEvent.click(within(tableRows[0]).getByTestId('primary-radio'));
    await userEvent.click(within(tableRows[1]).getByTestId('secondary-checkbox'));
    await userEvent.click(screen.getByTestId('wizard-next'));

    // 3. schema: roles pre-filled from suggestions; products must be joined before going on
    await waitFor(() => expect(screen.getAllByTestId('schema-column').filter((c) => c.getAttribute('data-role')).length).toBe(4));
    const roleOf = (col: string) => screen.getAllByTestId('schema-column').find((c) => c.getAttribute('data-column') === col)!.getAttribute('data-role');
    expect(roleOf('stock_code')).toBe('product_id');
    expect(screen.getAllByTestId('role-confidence').map((b) => b.textContent)).toEqual(['high', 'medium', 'high', 'medium']);
    await userEvent.click(screen.getByTestId('wizard-next'));
    expect(screen.getByTestId('step-error')).toHaveTextContent('Join products');
    const suggestion = await screen.findByTestId('join-suggestion');
    expect(suggestion).toHaveTextContent('high');
    await userEvent.click(within(suggestion).getByTestId('accept-join'));
    expect(screen.getByTestId('join-row')).toHaveAttribute('data-join', 'lines.stock_code=products.code');
    await userEvent.click(screen.getByText('Left: keep all'));
    await userEvent.click(screen.getByTestId('wizard-next'));

    // 4. filters: a rolling window and a top-80% products filter with its Pareto chart
    await userEvent.click(await screen.findByTestId('add-filter'));
    await userEvent.click(await screen.findByTestId('add-filter-date'));
    await userEvent.click(screen.getByTestId('add-filter'));
    await userEvent.click(await screen.findByTestId('add-filter-top_share'));
    expect(await screen.findByTestId('pareto-caption')).toHaveTextContent('Keeps about 2 of 4 products (50.0%), which make 80.0% of revenue.');
    expect(await screen.findAllByTestId('filter-summary-item')).toHaveLength(2);
    expect(await screen.findByTestId('quality-score')).toHaveTextContent('70');
    expect(await screen.findByTestId('preview-total')).toHaveTextContent('397,924');

    await userEvent.click(screen.getByTestId('wizard-save'));
    expect(await screen.findByTestId('filter-error')).toHaveTextContent('The share of revenue must be more than 0 and at most 100');
    expect(screen.getAllByTestId('filter-card')[1]).toContainElement(screen.getByTestId('filter-error'));
    expect(posted[0]).toEqual({
      name: 'retail',
      primary_table: { dataset: 'raw_data', table: 'lines' },
      secondary_tables: [{ dataset: 'raw_data', table: 'products' }],
      joins: [{ left: { table: 'lines', column: 'stock_code' }, right: { table: 'products', column: 'code' }, type: 'left' }],
      columns: [
        { table: 'lines', column: 'customer_id', role: 'customer_id' },
        { table: 'lines', column: 'invoice_ts', role: 'timestamp' },
        { table: 'lines', column: 'stock_code', role: 'product_id' },
        { table: 'lines', column: 'amount', role: 'revenue' },
      ],
      filters: [
        { kind: 'date', column: { table: 'lines', column: 'invoice_ts' }, last_days: 180 },
        { kind: 'top_share', entity: 'product', percent: 80 },
      ],
      split: { kind: 'time_holdout', holdout_days: 30 },
    });

    await userEvent.click(screen.getByTestId('wizard-save'));
    expect(await screen.findByTestId('dataset-version')).toHaveTextContent('v1');
    expect(calls.filter((c) => c.method === 'POST' && c.path === '/api/datasets')).toHaveLength(2);
  }, 60000); // four steps of typing and clicking: about 10 s alone, more beside the Go suites

  it('takes a column error back to the schema step, next to the column', async () => {
    const { fetch } = editFetch(jsonResponse(400, { error: { kind: 'invalid', message: 'the table lines has no column stock_code', field: 'columns[1]' } }));
    renderApp({ path: '/datasets/ds_1/edit', session: session(), fetch });
    expect(await screen.findByTestId('dataset-name')).toHaveValue('retail');
    for (let i = 0; i < 3; i++) await userEvent.click(screen.getByTestId('wizard-next'));
    await userEvent.click(await screen.findByTestId('wizard-save'));
    const err = await screen.findByTestId('column-error');
    expect(err.closest('[data-testid="schema-column"]')).toHaveAttribute('data-column', 'stock_code');
    expect(err).toHaveAttribute('aria-label', 'The table lines has no column stock_code');
    expect(screen.queryByTestId('save-error')).toBeNull();
  });

  it('says whether a saved change made a new version', () => {
    expect(savedMessage('retail', 1, false, true)).toBe('retail is at version 1.');
    expect(savedMessage('retail', 3, true, true)).toBe('retail is now at version 3; experiments keep the version they used.');
    expect(savedMessage('retail', 2, true, false)).toBe('retail is still at version 2: the name and description do not change its SQL.');
  });

  it('explains a save refused because someone else changed the dataset', async () => {
    const { fetch, calls } = editFetch(jsonResponse(409, { error: { kind: 'conflict', message: 'The dataset is at version 3, not 2.' } }));
    renderApp({ path: '/datasets/ds_1/edit', session: session(), fetch });
    expect(await screen.findByTestId('dataset-name')).toHaveValue('retail');
    for (let i = 0; i < 3; i++) await userEvent.click(screen.getByTestId('wizard-next'));
    await userEvent.click(await screen.findByTestId('wizard-save'));
    expect(await screen.findByTestId('save-error')).toHaveTextContent('The dataset is at version 3, not 2. Someone saved this dataset after you opened it');
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(JSON.parse(String(put.body)).if_version).toBe(2);
  });
});
