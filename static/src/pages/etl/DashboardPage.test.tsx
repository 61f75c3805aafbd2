import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Dashboard } from '../../api/types';
import { fakeFetch } from '../../test/fakeApi';
import { session } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { failureSeries, formatRate } from './DashboardPage';

function dashboard(days: number, over: Partial<Dashboard> = {}): Dashboard {
  return {
    days,
    window_start: '2026-10-27T12:00:00Z',
    window_end: '2026-11-26T12:00:00Z',
    runs: 40,
    succeeded: 36,
    failed: 3,
    cancelled: 1,
    success_rate: 36 / 39,
    rows_loaded: 2_450_000,
    mean_duration_seconds: 83,
    failures_by_error_type: { extraction: 2, load: 1 },
    jobs: [
      {
        job_id: 'jb_orders',
        job_name: 'orders',
        runs: 30,
        succeeded: 27,
        failed: 3,
        cancelled: 0,
        success_rate: 0.9,
        rows_loaded: 2_000_000,
        mean_duration_seconds: 95,
        failures_by_error_type: { extraction: 2, load: 1 },
      },
      {
        job_id: 'jb_products',
        job_name: 'products',
        runs: 10,
        succeeded: 9,
        failed: 0,
        cancelled: 1,
        success_rate: 1,
        rows_loaded: 450_000,
        mean_duration_seconds: 12,
        failures_by_error_type: {},
      },
    ],
    ...over,
  };
}

function show(answer: (days: number) => Dashboard) {
  const { fetch, calls } = fakeFetch({
    'GET /api/auth/me': { user: session().user, tenant: session().tenant },
    'GET /api/etl/dashboard': (c) => answer(Number(new URLSearchParams(c.search).get('days'))),
  });
  renderApp({ path: '/etl/dashboard', session: session('viewer'), fetch });
  return calls;
}

function tiles(): Record<string, string | null> {
  const box = screen.getByTestId('dashboard-tiles');
  return Object.fromEntries(
    within(box)
      .getAllByTestId('stat')
      .map((t) => [t.getAttribute('data-stat'), within(t).getByTestId('stat-value').textContent]),
  );
}

describe('DashboardPage', () => {
  it('shows the tiles, the failures by error type and the jobs of the last 30 days', async () => {
    const calls = show((days) => dashboard(days));
    await waitFor(() => expect(screen.getByTestId('dashboard')).toHaveAttribute('data-state', 'ok'));
    expect(tiles()).toEqual({ 'success-rate': '92.3%', 'rows-loaded': '2,450,000', 'mean-duration': '1\u00a0min 23\u00a0s', runs: '40' });
    expect(screen.getByTestId('dashboard-tiles')).toHaveTextContent('3 failed, 1 cancelled');
    expect(screen.getAllByTestId('failure-type').map((t) => [t.getAttribute('data-type'), t.textContent])).toEqual([
      ['extraction', 'Extraction: 2'],
      ['load', 'Load: 1'],
    ]);
    const rows = screen.getAllByTestId('dashboard-job-row');
    expect(rows.map((r) => within(r).getAllByRole('cell').map((c) => c.textContent))).toEqual([
      ['orders', '30', '90.0%', '3', '0', '2,000,000', '1\u00a0min 35\u00a0s'],
      ['products', '10', '100%', '0', '1', '450,000', '12\u00a0s'],
    ]);
    expect(calls.filter((c) => c.path === '/api/etl/dashboard').map((c) => c.search)).toEqual(['?days=30']);
  });

  it('asks for the period picked', async () => {
    const calls = show((days) => dashboard(days, { runs: days }));
    await waitFor(() => expect(screen.getByTestId('dashboard')).toHaveAttribute('data-days', '30'));
    await userEvent.click(screen.getByRole('radio', { name: '7 days' }));
    await waitFor(() => expect(screen.getByTestId('dashboard')).toHaveAttribute('data-days', '7'));
    expect(tiles().runs).toBe('7');
    await userEvent.click(screen.getByRole('radio', { name: '90 days' }));
    await waitFor(() => expect(tiles().runs).toBe('90'));
    expect(calls.filter((c) => c.path === '/api/etl/dashboard').map((c) => c.search)).toEqual(['?days=30', '?days=7', '?days=90']);
  });

  it('says when nothing failed or nothing ran', async () => {
    show((days) =>
      dashboard(days, { runs: 0, succeeded: 0, failed: 0, cancelled: 0, success_rate: null, rows_loaded: 0, mean_duration_seconds: 0, failures_by_error_type: {}, jobs: [] }),
    );
    expect(await screen.findByTestId('dashboard-no-failures')).toHaveTextContent('No run failed in the last 30 days.');
    expect(screen.getByTestId('dashboard-no-runs')).toHaveTextContent('No run finished in the last 30 days.');
    expect(tiles()['success-rate']).toBe('—');
  });
});

describe('failureSeries', () => {
  it('has every error type in stage order, zeros included, and keeps a type it does not know', () => {
    expect(failureSeries({ failures_by_error_type: { load: 4, init: 1, quota: 2 } }).map((s) => [s.type, s.failures])).toEqual([
      ['init', 1],
      ['validation', 0],
      ['extraction', 0],
      ['load', 4],
      ['unknown', 0],
      ['quota', 2],
    ]);
    expect(failureSeries({ failures_by_error_type: null }).every((s) => s.failures === 0)).toBe(true);
  });

  it('formats rates', () => {
    expect([formatRate(null), formatRate(1), formatRate(0), formatRate(0.9234)]).toEqual(['—', '100%', '0%', '92.3%']);
  });
});
