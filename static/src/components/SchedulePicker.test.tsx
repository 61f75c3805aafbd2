import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../api/types';
import { defaultDraft, type ScheduleDraft } from '../lib/schedule';
import { fakeFetch, jsonResponse, type RecordedCall } from '../test/fakeApi';
import { session } from '../test/fixtures';
import { renderApp } from '../test/render';
import { SchedulePicker } from './SchedulePicker';

function Harness({ initial }: { initial: ScheduleDraft }) {
  const [d, setD] = useState(initial);
  return <SchedulePicker value={d} onChange={setD} debounceMs={0} />;
}

const LABELS: Record<string, string> = {
  manual: 'Manual',
  daily: 'Daily 08:30 Europe/Warsaw',
  weekly: 'Weekly Fri 08:30 Europe/Warsaw',
  monthly: 'Monthly on the 15th 08:30 Europe/Warsaw',
  hourly: 'Hourly at :45 Europe/Warsaw',
};

/** A preview endpoint that labels daily/weekly/monthly/hourly specs and refuses bad cron and times. */
function previewRoute(call: RecordedCall) {
  const spec = JSON.parse(String(call.body)) as ScheduleSpec;
  if (spec.type === 'cron' && spec.cron === 'nope') {
    return jsonResponse(400, { error: { kind: 'invalid', message: 'schedule.cron: "nope" is not a 5-field cron expression' } });
  }
  if (spec.time_zone === 'Bad/Zone') return jsonResponse(400, { error: { kind: 'invalid', message: 'schedule: something else went wrong' } });
  return {
    spec,
    cron: spec.type === 'manual' ? '' : '30 8 * * *',
    time_zone: spec.time_zone ?? 'UTC',
    label: LABELS[spec.type] ?? spec.type,
    next_runs: spec.type === 'manual' ? [] : ['2026-12-02T07:30:00Z', '2026-12-03T07:30:00Z', '2026-12-04T07:30:00Z'],
  };
}

function setup(initial: ScheduleDraft = defaultDraft('Europe/Warsaw')) {
  const { fetch, calls } = fakeFetch({ 'GET /api/auth/me': { user: session().user, tenant: session().tenant }, 'POST /api/schedules/preview': previewRoute });
  renderApp({ session: session('editor'), fetch, children: <Harness initial={initial} /> });
  const previews = () => calls.filter((c) => c.path === '/api/schedules/preview').map((c) => JSON.parse(String(c.body)) as ScheduleSpec);
  return { previews };
}

describe('SchedulePicker', () => {
  it('previews manual by default without zone or fields', async () => {
    const { previews } = setup();
    expect(await screen.findByTestId('schedule-label')).toHaveTextContent('Manual');
    expect(previews()[0]).toEqual({ type: 'manual' });
    expect(screen.queryByTestId('schedule-time')).toBeNull();
  });

  it('builds a daily spec from the time and zone, and lists the next fire times in that zone', async () => {
    const { previews } = setup();
    await userEvent.click(screen.getByText('Daily'));
    fireEvent.change(screen.getByTestId('schedule-time'), { target: { value: '08:30' } });
    await waitFor(() => expect(previews().at(-1)).toEqual({ type: 'daily', time: '08:30', time_zone: 'Europe/Warsaw' }));
    await waitFor(() => expect(screen.getByTestId('schedule-label')).toHaveTextContent('Daily 08:30 Europe/Warsaw'));
    const runs = within(screen.getByTestId('schedule-next-runs')).getAllByTestId('schedule-next-run');
    expect(runs.map((r) => r.textContent)).toEqual(['Wed, 2 Dec 2026, 08:30', 'Thu, 3 Dec 2026, 08:30', 'Fri, 4 Dec 2026, 08:30']);
  });

  it('builds weekly, monthly and hourly specs with only their fields', async () => {
    const { previews } = setup({ ...defaultDraft('Europe/Warsaw'), time: '08:30' });
    await userEvent.click(screen.getByText('Weekly'));
    fireEvent.change(screen.getByTestId('schedule-day-of-week'), { target: { value: 'fri' } });
    await waitFor(() => expect(previews().at(-1)).toEqual({ type: 'weekly', day_of_week: 'fri', time: '08:30', time_zone: 'Europe/Warsaw' }));
    expect(await screen.findByText('Weekly Fri 08:30 Europe/Warsaw')).toBeInTheDocument();

    await userEvent.click(screen.getByText('Monthly'));
    fireEvent.change(screen.getByTestId('schedule-day-of-month'), { target: { value: '15' } });
    await waitFor(() => expect(previews().at(-1)).toEqual({ type: 'monthly', day_of_month: 15, time: '08:30', time_zone: 'Europe/Warsaw' }));

    await userEvent.click(screen.getByText('Hourly'));
    const minute = screen.getByTestId('schedule-minute');
    await userEvent.clear(minute);
    await userEvent.type(minute, '45');
    await waitFor(() => expect(previews().at(-1)).toEqual({ type: 'hourly', minute: 45, time_zone: 'Europe/Warsaw' }));
    expect(await screen.findByText('Hourly at :45 Europe/Warsaw')).toBeInTheDocument();
  });

  it('shows the error at the field the server names', async () => {
    setup({ ...defaultDraft('Europe/Warsaw'), type: 'cron', cron: '0 6 * * *' });
    await screen.findByTestId('schedule-label');
    const cron = screen.getByTestId('schedule-cron');
    fireEvent.change(cron, { target: { value: 'nope' } });
    expect(await screen.findByText('"nope" is not a 5-field cron expression')).toBeInTheDocument();
    expect(cron).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('schedule-preview')).toHaveAttribute('data-state', 'error');
    expect(screen.getByTestId('schedule-error')).toHaveTextContent('Fix the highlighted field');
    expect(screen.queryByTestId('schedule-next-runs')).toBeNull();
  });

  it('shows an error that names no field in the preview box', async () => {
    setup({ ...defaultDraft('Bad/Zone'), type: 'daily' });
    expect(await screen.findByTestId('schedule-error')).toHaveTextContent('Something else went wrong');
  });
});
