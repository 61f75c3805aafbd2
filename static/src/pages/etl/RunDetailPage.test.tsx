import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, jsonResponse } from '../../test/fakeApi';
import { run, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { LogLine, Reject, Run } from '../../api/types';

function show(r: Run, rejects: Reject[] = [], extra: Parameters<typeof fakeFetch>[0] = {}, lines: LogLine[] = []) {
  const { fetch, calls } = fakeFetch({
    'GET /api/auth/me': { user: session().user, tenant: session().tenant },
    [`GET /api/runs/${r.id}`]: r,
    [`GET /api/runs/${r.id}/rejects`]: { rejects, total: r.rows_rejected },
    [`GET /api/runs/${r.id}/logs`]: { run_id: r.id, lines, dropped: 0 },
    ...extra,
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

afterEach(() => vi.unstubAllGlobals());

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
      'rows-per-second': '28,521',
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

  it('shows the run log with time, level, stage, message and counts', async () => {
    show(run({ id: 'rn_log' }), [], {}, [
      { seq: 1, time: '2026-11-26T11:58:01Z', level: 'info', stage: 'init', message: 'reading online_retail.csv.gz' },
      {
        seq: 2,
        time: '2026-11-26T11:58:15Z',
        level: 'warn',
        stage: 'extraction',
        message: '8 rows rejected',
        counts: { rows_read: 4380, rows_rejected: 8, bytes: 2048 },
      },
    ]);
    const lines = await screen.findAllByTestId('log-line');
    expect(lines.map((l) => [l.getAttribute('data-level'), l.getAttribute('data-stage')])).toEqual([
      ['info', 'init'],
      ['warn', 'extraction'],
    ]);
    expect(within(lines[0]).getByTestId('log-message')).toHaveTextContent('reading online_retail.csv.gz');
    expect(within(lines[1]).getByTestId('log-level')).toHaveTextContent('warn');
    expect(within(lines[1]).getByTestId('log-stage')).toHaveTextContent('Extraction');
    expect(within(lines[1]).getByTestId('log-counts')).toHaveTextContent('rows read 4,380 · rows rejected 8 · bytes 2 KB');
    expect(within(lines[0]).getAllByRole('cell')[0]).toHaveTextContent(/\d\d:58/);
  });

  it('says when a run has written no log yet', async () => {
    show(run({ id: 'rn_nolog' }));
    expect(await screen.findByTestId('run-log-empty')).toHaveTextContent('no log lines yet');
  });

  it('cancels a running run after a confirmation, and shows why the server refused', async () => {
    const r = run({ id: 'rn_live', status: 'running', completed_at: null });
    const calls = show(r, [], {
      'POST /api/runs/rn_live/cancel': jsonResponse(409, {
        error: { kind: 'conflict', message: 'This run is loading into raw_data.online_retail already and cannot be cancelled.' },
      }),
    });
    expect(screen.queryByTestId('run-rerun')).toBeNull();
    await userEvent.click(await screen.findByTestId('run-cancel'));
    expect(calls.some((c) => c.method === 'POST')).toBe(false); // nothing before the confirmation
    await userEvent.click(await screen.findByTestId('run-cancel-confirm'));
    expect(await screen.findByTestId('run-cancel-error')).toHaveTextContent(
      'This run is loading into raw_data.online_retail already and cannot be cancelled.',
    );
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/runs/rn_live/cancel']);
  });

  it('re-runs a failed run and opens the new run, which says what it re-runs', async () => {
    const old = run({ id: 'rn_failed', status: 'failed', error_type: 'load', error_message: 'the warehouse was away' });
    const next = run({ id: 'rn_retry', trigger: 'retry', retry_of: 'rn_failed', status: 'pending', started_at: null, completed_at: null });
    const calls = show(old, [], {
      'POST /api/runs/rn_failed/retry': jsonResponse(202, next),
      'GET /api/runs/rn_retry': next,
      'GET /api/runs/rn_retry/logs': { run_id: 'rn_retry', lines: [], dropped: 0 },
    });
    expect(screen.queryByTestId('run-cancel')).toBeNull();
    expect(screen.queryByTestId('run-again')).toBeNull(); // Re-run replaces "Run job again"
    await userEvent.click(await screen.findByTestId('run-rerun'));
    const retryOf = await screen.findByTestId('run-retry-of');
    expect(retryOf).toHaveTextContent('re-run of rn_failed');
    expect(within(retryOf).getByRole('link')).toHaveAttribute('href', '/etl/runs/rn_failed');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/runs/rn_failed/retry']);
  });

  it('lists the columns a run added to its table', async () => {
    show(run({ id: 'rn_added', added_columns: ['colour', 'size_cm'] }));
    const added = await screen.findAllByTestId('added-column');
    expect(added.map((a) => a.textContent)).toEqual(['colour', 'size_cm']);
    expect(screen.getByTestId('run-added-columns')).toHaveTextContent('raw_data.online_retail');
  });

  it('downloads the whole rejects file as CSV or JSONL', async () => {
    const saved: { name: string; text: string }[] = [];
    const blobs = new Map<string, Blob>();
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.set('blob:1', b), 'blob:1'), revokeObjectURL: () => {} }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      void blobs.get(this.href)!.text().then((text) => saved.push({ name: this.download, text }));
    });
    const calls = show(run({ id: 'rn_partial', status: 'partial', rows_rejected: 1 }), [{ line: 3, reason: 'expected 3 fields, got 4', raw: 'a,b,c,d' }], {
      'GET /api/runs/rn_partial/rejects/download': (c) =>
        new Response(c.search === '?format=jsonl' ? '{"line":3}\n' : 'line,column,reason,raw\n3,,x,a\n', {
          status: 200,
          headers: { 'Content-Disposition': `attachment; filename="rn_partial-rejects.${c.search === '?format=jsonl' ? 'jsonl' : 'csv'}"` },
        }),
    });
    await userEvent.click(await screen.findByTestId('rejects-download-csv'));
    await userEvent.click(screen.getByTestId('rejects-download-jsonl'));
    await waitFor(() => expect(saved).toHaveLength(2));
    expect(saved).toEqual([
      { name: 'rn_partial-rejects.csv', text: 'line,column,reason,raw\n3,,x,a\n' },
      { name: 'rn_partial-rejects.jsonl', text: '{"line":3}\n' },
    ]);
    const dl = calls.filter((c) => c.path.endsWith('/download'));
    expect(dl.map((c) => [c.search, c.headers.authorization])).toEqual([
      ['?format=csv', 'Bearer tok-123'],
      ['?format=jsonl', 'Bearer tok-123'],
    ]);
    click.mockRestore();
  });

  it('shows the encoding a file was read in', async () => {
    show(run({ id: 'rn_latin1', encoding: 'windows-1252' }));
    expect(await screen.findByText('windows-1252 (latin-1)')).toBeInTheDocument();
  });

  it('shows a partitioned run\'s partitions in its progress and details', async () => {
    show(
      run({
        id: 'rn_parts',
        status: 'running',
        completed_at: null,
        rows_read: 1_000_000,
        progress: { phase: 'extraction', rows_read: 1_000_000 },
        partitions: { total: 5, done: 2, column: 'id', rows_read: 800_000 },
      }),
    );
    expect(await screen.findByTestId('run-progress')).toHaveTextContent('2/5 partitions');
    expect(screen.getByText('2 of 5 read, split on id')).toBeInTheDocument();
  });
});
