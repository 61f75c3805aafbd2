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
    'POST /api/jobs/jb_1/runs': jsonResponse(202, run({ id: 'rn_new', status: 'pending', completed_at: null })),
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

  it('hides the run button from viewers', async () => {
    const { fetch } = fakeFetch(routes('viewer'));
    renderApp({ path: '/etl/jobs', session: session('viewer'), fetch });
    await screen.findByTestId('job-row');
    expect(screen.queryByTestId('job-run')).toBeNull();
  });
});
