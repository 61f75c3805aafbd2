import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse } from '../../test/fakeApi';
import { RUNS, run, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';

/** The server's counts: not derivable from RUNS (the list is the latest 50, the window is 24 h). */
const SUMMARY = {
  windowStart: '2026-11-25T12:00:00Z',
  windowEnd: '2026-11-26T12:00:00Z',
  active: 3,
  completed: 118,
  failed: 7,
  rowsLoaded: 2_450_000,
  rowsRejected: 1_200,
};

function routes(extra: Record<string, unknown> = {}) {
  return {
    'GET /api/auth/me': { user: session().user, tenant: session().tenant },
    'GET /api/runs': { runs: RUNS },
    'GET /api/runs/summary': SUMMARY,
    ...extra,
  };
}

describe('RunsPage', () => {
  it("offers cancel for an active run and re-run for a failed or partial one in the row's menu", async () => {
    const retried = run({ id: 'rn_retry', trigger: 'retry', retry_of: 'rn_failed', status: 'pending', completed_at: null });
    const { fetch, calls } = fakeFetch(
      routes({
        'POST /api/runs/rn_failed/retry': jsonResponse(202, retried),
        'GET /api/runs/rn_retry': retried,
        'GET /api/runs/rn_retry/logs': { run_id: 'rn_retry', lines: [], dropped: 0 },
        'POST /api/runs/rn_running/cancel': run({ id: 'rn_running', status: 'cancelled' }),
      }),
    );
    renderApp({ path: '/etl', session: session(), fetch });
    const rows = await screen.findAllByTestId('run-row');
    const [running, partial, failed, done] = rows;
    expect(within(done).queryByTestId('run-menu')).toBeNull(); // a completed run has nothing to cancel or re-run

    await userEvent.click(within(running).getByTestId('run-menu'));
    expect(screen.queryByTestId('run-menu-rerun')).toBeNull();
    await userEvent.click(await screen.findByTestId('run-menu-cancel'));
    await userEvent.click(await screen.findByTestId('run-cancel-confirm'));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/runs/rn_running/cancel']));
    expect(screen.getByTestId('runs-table')).toBeInTheDocument(); // the menu does not open the run

    await userEvent.click(within(partial).getByTestId('run-menu'));
    expect(await screen.findByTestId('run-menu-rerun')).toBeInTheDocument();
    expect(screen.queryByTestId('run-menu-cancel')).toBeNull();
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('run-menu-rerun')).toBeNull());

    await userEvent.click(within(failed).getByTestId('run-menu'));
    await userEvent.click(await screen.findByTestId('run-menu-rerun'));
    expect(await screen.findByTestId('run-retry-of')).toHaveTextContent('re-run of rn_failed');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/runs/rn_running/cancel', '/api/runs/rn_failed/retry']);
  });

  it('shows viewers no run actions', async () => {
    const { fetch } = fakeFetch({ ...routes(), 'GET /api/auth/me': { user: session('viewer').user, tenant: session().tenant } });
    renderApp({ path: '/etl', session: session('viewer'), fetch });
    await screen.findAllByTestId('run-row');
    expect(screen.queryAllByTestId('run-menu')).toEqual([]);
  });

  it('lists runs with status, job, object and counts', async () => {
    const { fetch, calls } = fakeFetch(routes());
    renderApp({ path: '/etl', session: session(), fetch });

    const rows = await screen.findAllByTestId('run-row');
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['running', 'partial', 'failed', 'completed']);
    expect(rows.map((r) => r.getAttribute('data-run-id'))).toEqual(['rn_running', 'rn_partial', 'rn_failed', 'rn_done']);

    const [running, partial, failed, done] = rows;
    expect(within(running).getByTestId('run-status')).toHaveTextContent('Running');
    expect(within(running).getByTestId('run-progress')).toHaveTextContent('Extracting · 120K rows');
    expect(within(running).getByTestId('run-rows-read')).toHaveTextContent('120,000');

    expect(within(partial).getByTestId('run-status')).toHaveTextContent('Partial');
    expect(within(partial).getByText('customers')).toBeInTheDocument();
    expect(within(partial).getByTestId('run-rows-read')).toHaveTextContent('4,380');
    expect(within(partial).getByTestId('run-rows-loaded')).toHaveTextContent('4,372');
    expect(within(partial).getByTestId('run-rows-rejected')).toHaveTextContent('8');
    expect(within(partial).queryByTestId('run-progress')).toBeNull();

    expect(within(failed).getByTestId('run-status')).toHaveTextContent('Failed');
    expect(within(done).getByTestId('run-status')).toHaveTextContent('Completed');
    expect(within(done).getByText('online_retail.csv.gz')).toBeInTheDocument();
    expect(within(done).getByText('File drop')).toBeInTheDocument();
    expect(within(done).getByTestId('run-rows-loaded')).toHaveTextContent('541,909');
    expect(done).toHaveTextContent('19 s');

    // The list call asked for the newest 50 with the session token.
    const list = calls.find((c) => c.path === '/api/runs')!;
    expect(list.search).toBe('?limit=50');
    expect(list.headers.authorization).toBe('Bearer tok-123');
  });

  it('fills the 24 h tiles from the server summary, not from the listed runs', async () => {
    const { fetch, calls } = fakeFetch(routes());
    renderApp({ path: '/etl', session: session(), fetch });
    const tiles = await screen.findByTestId('runs-summary');
    await waitFor(() => expect(tiles).toHaveAttribute('data-state', 'ok'));
    const shown = Object.fromEntries(
      within(tiles)
        .getAllByTestId('stat')
        .map((t) => [t.getAttribute('data-stat'), [t.firstElementChild?.textContent, within(t).getByTestId('stat-value').textContent]]),
    );
    expect(shown).toEqual({
      active: ['Running now', '3'],
      completed: ['Completed · 24 h', '118'],
      failed: ['Failed · 24 h', '7'],
      'rows-loaded': ['Rows loaded · 24 h', '2.5M'],
    });
    expect(tiles).toHaveTextContent('1.2K rejected');
    const asked = calls.filter((c) => c.path === '/api/runs/summary');
    expect(asked.map((c) => c.search)).toEqual(['?hours=24']);
  });

  it('asks for the summary again as soon as a listed run finishes', async () => {
    const running = RUNS[0];
    const finished = run({ id: running.id, status: 'completed' });
    let lists = 0;
    const { fetch, calls } = fakeFetch(
      routes({
        'GET /api/runs': () => ({ runs: ++lists === 1 ? [running] : [finished] }),
        'GET /api/runs/summary': () => (lists < 2 ? SUMMARY : { ...SUMMARY, active: 0, completed: SUMMARY.completed + 1 }),
      }),
    );
    renderApp({ path: '/etl', session: session(), fetch });
    const value = (id: string) => within(screen.getByTestId('runs-summary')).getAllByTestId('stat').find((t) => t.getAttribute('data-stat') === id);
    await waitFor(() => expect(value('active')).toHaveTextContent('3'));
    // The list polls every 2 s while a run moves; the summary's own poll is 15 s away.
    await waitFor(() => expect(screen.getByTestId('run-row')).toHaveAttribute('data-status', 'completed'), { timeout: 6000 });
    await waitFor(() => expect(value('completed')).toHaveTextContent('119'));
    expect(value('active')).toHaveTextContent('0');
    expect(calls.filter((c) => c.path === '/api/runs/summary')).toHaveLength(2);
  });

  it('shows dashes and says why when the summary fails, while the list still shows', async () => {
    const { fetch } = fakeFetch(
      routes({ 'GET /api/runs/summary': new Response(JSON.stringify({ error: { kind: 'transient', message: 'The run store is busy.' } }), { status: 503 }) }),
    );
    renderApp({ path: '/etl', session: session(), fetch });
    expect(await screen.findAllByTestId('run-row')).toHaveLength(4);
    expect(await screen.findByTestId('runs-summary-error', {}, { timeout: 3000 })).toHaveTextContent(
      'The counts of the last 24 hours could not be loaded: The run store is busy.',
    );
    expect(screen.getAllByTestId('stat-value').map((v) => v.textContent)).toEqual(['–', '–', '–', '–']);
  });

  it('shows the upload control to editors and hides it from viewers', async () => {
    const a = fakeFetch(routes());
    const first = renderApp({ path: '/etl', session: session('editor'), fetch: a.fetch });
    await screen.findAllByTestId('run-row');
    expect(screen.getByTestId('upload-dropzone')).toBeInTheDocument();
    first.unmount();

    const b = fakeFetch({ ...routes(), 'GET /api/auth/me': { user: session('viewer').user, tenant: session().tenant } });
    renderApp({ path: '/etl', session: session('viewer'), fetch: b.fetch });
    await screen.findAllByTestId('run-row');
    expect(screen.queryByTestId('upload-dropzone')).toBeNull();
    expect(screen.queryByTestId('upload-input')).toBeNull();
    expect(screen.getByTestId('read-only-note')).toBeInTheDocument();
  });

  it('marks runs that loaded nothing because the content was unchanged', async () => {
    const reason = 'unchanged: the same content of online_retail.csv.gz was loaded by run rn_done';
    const { fetch } = fakeFetch(routes({ 'GET /api/runs': { runs: [run({ id: 'rn_skip', rows_loaded: 0, skipped_reason: reason }), RUNS[3]] } }));
    renderApp({ path: '/etl', session: session(), fetch });
    const [skip, done] = await screen.findAllByTestId('run-row');
    expect(skip).toHaveAttribute('data-skipped', 'true');
    expect(within(skip).getByTestId('run-skipped')).toHaveTextContent('Skipped: unchanged');
    expect(within(skip).getByTestId('run-skipped')).toHaveAttribute('data-reason', reason);
    expect(within(skip).getByTestId('run-rows-loaded')).toHaveTextContent('0');
    expect(done).not.toHaveAttribute('data-skipped');
    expect(within(done).queryByTestId('run-skipped')).toBeNull();
  });

  it('shows an empty state without runs', async () => {
    const { fetch } = fakeFetch(routes({ 'GET /api/runs': { runs: [] } }));
    renderApp({ path: '/etl', session: session(), fetch });
    expect(await screen.findByTestId('runs-empty')).toHaveTextContent('No runs yet');
  });

  it('shows the error of a failed list with its message', async () => {
    const { fetch } = fakeFetch(
      routes({ 'GET /api/runs': new Response(JSON.stringify({ error: { kind: 'transient', message: 'warehouse busy' } }), { status: 503 }) }),
    );
    renderApp({ path: '/etl', session: session(), fetch });
    const err = await screen.findByTestId('error-state');
    expect(err).toHaveTextContent('warehouse busy');
    expect(err.getAttribute('data-kind')).toBe('transient');
  });

  it('signs out and returns to the login page when the API answers 401', async () => {
    const { fetch } = fakeFetch(
      routes({ 'GET /api/runs': new Response(JSON.stringify({ error: { kind: 'unauthenticated', message: 'expired' } }), { status: 401 }) }),
    );
    renderApp({ path: '/etl', session: session(), fetch });
    await waitFor(() => expect(screen.getByTestId('login-email')).toBeInTheDocument());
    expect(screen.queryByTestId('tenant-name')).toBeNull();
    expect(window.sessionStorage.getItem('b2brecs.session')).toBeNull();
  });
});
