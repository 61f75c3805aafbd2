import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse } from '../../test/fakeApi';
import { JOBS, run, session } from '../../test/fixtures';
import { renderApp } from '../../test/render';

function routes(role: 'viewer' | 'editor') {
  return {
    'GET /api/auth/me': { user: session(role).user, tenant: session().tenant },
    'GET /api/jobs': { jobs: JOBS },
    'GET /api/runs': { runs: [] },
    'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [run({ id: 'rn_new', status: 'pending', completed_at: null })] }),
    'GET /api/runs/rn_new': run({ id: 'rn_new', status: 'pending', completed_at: null }),
  };
}

describe('JobsPage', () => {
  it('lists jobs with destination, mode, auto-created flag and last run', async () => {
    const { fetch } = fakeFetch(routes('editor'));
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    const row = await screen.findByTestId('job-row');
    expect(row).toHaveAttribute('data-dest-table', 'online_retail');
    expect(row).toHaveTextContent('raw_data.online_retail');
    expect(row).toHaveTextContent('Replace');
    expect(within(row).getByTestId('job-auto-created')).toBeInTheDocument();
    expect(within(row).getByTestId('run-status')).toHaveAttribute('data-status', 'completed');
  });

  it('lets editors start a run and opens it', async () => {
    const { fetch, calls } = fakeFetch(routes('editor'));
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-run'));
    expect(await screen.findByTestId('stage-timeline')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/jobs/jb_1/runs')).toBe(true);
  });

  it('says so when Run now starts nothing new (the server answers the earlier run)', async () => {
    const earlier = run({ id: 'rn_done', status: 'completed' });
    const { fetch, calls } = fakeFetch({
      ...routes('editor'),
      'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [earlier] }),
      'GET /api/runs/rn_done': earlier,
    });
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-run'));
    const note = await screen.findByTestId('run-now-earlier');
    expect(note).toHaveTextContent('Every file of online_retail was already run');
    expect(note).toHaveTextContent('of online_retail.csv.gz');
    expect(screen.getByTestId('run-status')).toHaveAttribute('data-status', 'completed');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('opens a new run that finished at once as skipped, with its reason', async () => {
    const reason = 'unchanged: the same content of online_retail.csv.gz was loaded by run rn_done';
    const skipped = run({
      id: 'rn_skip',
      trigger: 'manual',
      created_at: new Date().toISOString(),
      started_at: new Date().toISOString(),
      completed_at: new Date().toISOString(),
      rows_read: 0,
      rows_loaded: 0,
      stages: { init_completed_at: new Date().toISOString() },
      skipped_reason: reason,
    });
    const { fetch } = fakeFetch({
      ...routes('editor'),
      'POST /api/jobs/jb_1/runs': jsonResponse(202, { runs: [skipped] }),
      'GET /api/runs/rn_skip': skipped,
    });
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-run'));
    const alert = await screen.findByTestId('run-skipped');
    expect(alert).toHaveTextContent('Nothing loaded: the content is unchanged');
    expect(alert).toHaveTextContent('The same content of online_retail.csv.gz was loaded by run rn_done. Upload a changed file');
    expect(within(alert).getByTestId('skip-previous-run')).toHaveAttribute('href', '/etl/runs/rn_done');
    expect(screen.queryByTestId('run-now-earlier')).toBeNull();
    const stages = screen.getAllByTestId('stage');
    expect(stages.filter((s) => s.getAttribute('data-skipped') === 'true').map((s) => s.getAttribute('data-stage'))).toEqual([
      'validation',
      'extraction',
      'loading',
    ]);
    expect(stages[stages.length - 1]).toHaveTextContent('Skipped: unchanged');
  });

  it('hides the run button from viewers', async () => {
    const { fetch } = fakeFetch(routes('viewer'));
    renderApp({ path: '/etl/jobs', session: session('viewer'), fetch });
    await screen.findByTestId('job-row');
    expect(screen.queryByTestId('job-run')).toBeNull();
  });
});
