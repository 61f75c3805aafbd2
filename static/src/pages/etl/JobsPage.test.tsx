import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse } from '../../test/fakeApi';
import { JOBS, run, session, stages as stageTimes } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { JobView } from '../../api/types';

const VIEW: JobView = JOBS[0];

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
      stages: stageTimes({ init_completed_at: new Date().toISOString() }),
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

  it('shows the schedule label and next run from the list alone (no request per job)', async () => {
    const { fetch, calls } = fakeFetch(routes('viewer'));
    renderApp({ path: '/etl/jobs', session: session('viewer'), fetch });
    const row = await screen.findByTestId('job-row');
    await waitFor(() => expect(within(row).getByTestId('job-schedule-label')).toHaveTextContent('Daily 07:15'));
    expect(within(row).getByTestId('job-next-run')).toHaveTextContent('Next Wed 2 Dec, 07:15');
    expect(screen.queryByTestId('job-new')).toBeNull();
    expect(screen.queryByTestId('job-menu')).toBeNull();
    await userEvent.click(within(row).getByTestId('job-open'));
    expect(await screen.findByTestId('job-detail-schedule')).toHaveTextContent('Daily 07:15');
    const next = within(screen.getByTestId('job-detail-next-runs')).getAllByText(/07:15/);
    expect(next.map((n) => n.textContent)).toEqual(['Wed, 2 Dec 2026, 07:15', 'Thu, 3 Dec 2026, 07:15']);
    expect(calls.filter((c) => c.path.startsWith('/api/jobs')).map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/jobs']);
  });

  it('creates a file job with a weekly schedule and shows a field error from the API first', async () => {
    let posts = 0;
    const { fetch, calls } = fakeFetch({
      ...routes('editor'),
      'POST /api/schedules/preview': { spec: {}, cron: '', time_zone: 'UTC', label: 'Some schedule', next_runs: [] },
      'POST /api/jobs': () =>
        ++posts === 1
          ? jsonResponse(400, { error: { kind: 'invalid', message: 'file.pattern: "a/b.csv" must match a file name, not a path: put folders in file.prefix' } })
          : jsonResponse(201, VIEW),
    });
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-new'));
    await userEvent.type(await screen.findByTestId('job-name'), 'Orders');
    // The wizard: the drop folder is chosen; files; load strategy; destination; schedule.
    await userEvent.click(screen.getByTestId('job-next'));
    await userEvent.type(await screen.findByTestId('job-pattern'), 'a/b.csv');
    await userEvent.click(screen.getByTestId('job-next'));
    expect(await screen.findByTestId('schema-evolution-refuse')).toBeChecked(); // the safer default
    await userEvent.click(screen.getByTestId('schema-evolution-add_columns'));
    await userEvent.click(screen.getByTestId('job-next'));
    await userEvent.click(await screen.findByTestId('job-next'));
    await userEvent.click(await screen.findByText('Weekly'));
    fireEvent.change(screen.getByTestId('schedule-day-of-week'), { target: { value: 'wed' } });
    fireEvent.change(screen.getByTestId('schedule-time'), { target: { value: '07:15' } });
    await userEvent.click(screen.getByTestId('job-save'));
    // The error is about the pattern: the wizard goes back to the files step and shows it there.
    expect(await screen.findByText(/must match a file name, not a path/)).toBeInTheDocument();
    expect(screen.getByTestId('job-pattern')).toHaveAttribute('aria-invalid', 'true');
    const pattern = screen.getByTestId('job-pattern');
    await userEvent.clear(pattern);
    await userEvent.type(pattern, 'orders_*.csv');
    await userEvent.click(screen.getByTestId('job-step-tab-4'));
    await userEvent.click(await screen.findByTestId('job-save'));
    await waitFor(() => expect(screen.queryByTestId('job-save')).toBeNull());
    const body = JSON.parse(String(calls.filter((c) => c.method === 'POST' && c.path === '/api/jobs').at(-1)?.body));
    expect(body).toEqual({
      name: 'Orders',
      file: { prefix: '', pattern: 'orders_*.csv', format: '' },
      dest: { dataset: 'raw_data' },
      load_mode: 'append',
      schema_evolution: 'add_columns',
      schedule: { type: 'weekly', day_of_week: 'wed', time: '07:15', time_zone: expect.any(String) },
      enabled: true,
    });
  });

  it('explains each schema evolution choice and patches only that choice when it changes', async () => {
    const { fetch, calls } = fakeFetch({
      ...routes('editor'),
      'POST /api/schedules/preview': { spec: {}, cron: '', time_zone: 'UTC', label: 'Manual', next_runs: [] },
      'PATCH /api/jobs/jb_1': { ...VIEW, schema_evolution: 'add_columns' },
    });
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    const row = (await screen.findAllByTestId('job-row'))[0];
    await userEvent.click(within(row).getByTestId('job-menu'));
    await userEvent.click(await screen.findByTestId('job-edit'));
    await userEvent.click(await screen.findByTestId('job-step-tab-2'));
    const group = await screen.findByTestId('job-schema-evolution');
    expect(group).toHaveTextContent('fails its run and loads nothing');
    expect(group).toHaveTextContent('added to the table as nullable columns');
    expect(screen.getByTestId('schema-evolution-refuse')).toBeChecked(); // a job without the field refuses
    await userEvent.click(screen.getByTestId('schema-evolution-add_columns'));
    await userEvent.click(screen.getByTestId('job-save'));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(JSON.parse(String(calls.find((c) => c.method === 'PATCH')?.body))).toEqual({ schema_evolution: 'add_columns' });
  });

  it('pauses a job and shows the 409 of a delete', async () => {
    const { fetch, calls } = fakeFetch({
      ...routes('editor'),
      'POST /api/jobs/jb_1/pause': { ...VIEW, enabled: false },
      'DELETE /api/jobs/jb_1': jsonResponse(409, { error: { kind: 'conflict', message: 'etl: job online_retail has a run in progress' } }),
    });
    renderApp({ path: '/etl/jobs', session: session('editor'), fetch });
    await userEvent.click(await screen.findByTestId('job-menu'));
    await userEvent.click(await screen.findByTestId('job-pause'));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/api/jobs/jb_1/pause')).toBe(true));
    await userEvent.click(screen.getByTestId('job-menu'));
    await userEvent.click(await screen.findByTestId('job-delete'));
    await userEvent.click(await screen.findByTestId('job-delete-confirm'));
    expect(await screen.findByTestId('job-delete-error')).toHaveTextContent('etl: job online_retail has a run in progress');
  });
});
