import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeFetch } from '../../test/fakeApi';
import { run, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { Reject, Run } from '../../api/types';

function show(r: Run, rejects: Reject[] = []) {
  const { fetch, calls } = fakeFetch({
    'GET /api/auth/me': { user: session().user, tenant: session().tenant },
    [`GET /api/runs/${r.id}`]: r,
    [`GET /api/runs/${r.id}/rejects`]: { rejects, total: r.rows_rejected },
  });
  renderApp({ path: `/etl/runs/${r.id}`, session: session(), fetch });
  return calls;
}

/** The tiles of a page as {id: value}. */
function stats(): Record<string, string | null> {
  return Object.fromEntries(
    screen.getAllByTestId('stat').map((t) => [t.getAttribute('data-stat'), within(t).getByTestId('stat-value').textContent]),
  );
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

  it('shows the counts, the stages and the details of a completed run', async () => {
    show(run({ id: 'rn_ok', started_at: '2026-11-26T11:58:01Z', completed_at: '2026-11-26T11:58:20Z' }));
    await screen.findByTestId('run-counts');
    expect(stats()).toEqual({
      'rows-read': '541,909',
      'rows-loaded': '541,909',
      'rows-rejected': '0',
      processed: '44.8\u00a0MB', // 47,000,000 bytes in MiB, with a no-break space
      duration: '19\u00a0s',
    });
    const stages = screen.getAllByTestId('stage');
    expect(stages.map((s) => [s.getAttribute('data-stage'), s.getAttribute('data-done')])).toEqual([
      ['queued', 'true'],
      ['started', 'true'],
      ['init', 'true'],
      ['validation', 'true'],
      ['extraction', 'true'],
      ['loading', 'true'],
      ['finished', 'true'],
    ]);
    expect(screen.getByText('drop/online_retail.csv.gz')).toHaveClass('mono'); // the source object, bucket/name
    expect(screen.getByText('File drop')).toBeInTheDocument();
    expect(screen.queryByTestId('rejects-card')).toBeNull();
  });

  it('lists the rejected rows of a partial run with line, column, reason and raw text', async () => {
    const calls = show(run({ id: 'rn_partial', status: 'partial', rows_read: 4380, rows_loaded: 4372, rows_rejected: 8 }), [
      { line: 3, reason: 'expected 3 fields, got 4', raw: 'a,b,c,d' },
      { line: 17, column: 'quantity', reason: '"x" is not an INT64', raw: '17,x,2' },
    ]);
    const table = await screen.findByTestId('rejects-table');
    const rows = within(table).getAllByTestId('reject-row');
    expect(rows.map((r) => within(r).getAllByRole('cell').map((c) => c.textContent))).toEqual([
      ['3', '—', 'expected 3 fields, got 4', 'a,b,c,d'],
      ['17', 'quantity', '"x" is not an INT64', '17,x,2'],
    ]);
    expect(screen.getByTestId('rejects-card')).toHaveTextContent('showing 2 of 8');
    expect(stats()['rows-rejected']).toBe('8');
    expect(calls.find((c) => c.path === '/api/runs/rn_partial/rejects')?.search).toBe('?limit=100');
  });

  it('shows the encoding a file was read in', async () => {
    show(run({ id: 'rn_latin1', encoding: 'windows-1252' }));
    expect(await screen.findByText('windows-1252 (latin-1)')).toBeInTheDocument();
  });
});
