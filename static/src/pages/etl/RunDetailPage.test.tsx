import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeFetch } from '../../test/fakeApi';
import { run, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { Run } from '../../api/types';

function show(r: Run) {
  const { fetch } = fakeFetch({
    'GET /api/auth/me': { user: session().user, tenant: session().tenant },
    [`GET /api/runs/${r.id}`]: r,
    [`GET /api/runs/${r.id}/rejects`]: { rejects: [], total: r.rows_rejected },
  });
  renderApp({ path: `/etl/runs/${r.id}`, session: session(), fetch });
}

describe('RunDetailPage', () => {
  it('links the table a run loaded', async () => {
    show(run({ id: 'rn_ok' }));
    const link = await screen.findByTestId('run-table-link');
    expect(link).toHaveAttribute('href', '/etl/tables/raw_data/online_retail');
  });

  it('does not link a table a failed run never created', async () => {
    show(
      run({
        id: 'rn_all_rejected',
        status: 'failed',
        rows_read: 2,
        rows_loaded: 0,
        rows_rejected: 2,
        error_type: 'extraction',
        error_message: 'every row of prices.csv was rejected (2 rows), so nothing was loaded',
      }),
    );
    expect(await screen.findByTestId('run-table-name')).toHaveTextContent('raw_data.online_retail');
    expect(screen.queryByTestId('run-table-link')).toBeNull();
    expect(screen.getByTestId('run-error')).toHaveTextContent('every row of prices.csv was rejected');
  });

  it('shows the encoding a file was read in', async () => {
    show(run({ id: 'rn_latin1', encoding: 'windows-1252' }));
    expect(await screen.findByText('windows-1252 (latin-1)')).toBeInTheDocument();
  });
});
