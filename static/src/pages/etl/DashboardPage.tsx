import { Card, Group, SegmentedControl, SimpleGrid, Stack, Text } from '@mantine/core';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useState } from 'react';
import { useEtlDashboard } from '../../api/queries';
import type { Dashboard, JobStats, RunStats } from '../../api/types';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { StatTile } from '../../components/StatTile';
import { ErrorState } from '../../components/States';
import { formatCount, formatDateTime, formatDuration } from '../../lib/format';

/** The periods the dashboard offers, in days. */
export const DASHBOARD_PERIODS = [7, 30, 90] as const;

/** The phases a run fails in, in the order a run meets them, with their labels. */
const ERROR_TYPES: { type: string; label: string }[] = [
  { type: 'init', label: 'Start' },
  { type: 'validation', label: 'Validation' },
  { type: 'extraction', label: 'Extraction' },
  { type: 'load', label: 'Load' },
  { type: 'unknown', label: 'Unknown' },
];

/** The bars of the failures chart: every error type, in stage order, with its count (0 when none). */
export function failureSeries(d: Pick<RunStats, 'failures_by_error_type'>): { type: string; label: string; failures: number }[] {
  const counts = d.failures_by_error_type ?? {};
  const known = new Set(ERROR_TYPES.map((t) => t.type));
  const others = Object.keys(counts).filter((t) => !known.has(t));
  return [...ERROR_TYPES, ...others.map((type) => ({ type, label: type }))].map((t) => ({ ...t, failures: counts[t.type] ?? 0 }));
}

/** A success rate (0 to 1, or null when no run succeeded or failed) as a percentage. */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const pct = rate * 100;
  return `${pct === 100 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

function rateTone(rate: number | null | undefined): string | undefined {
  if (rate === null || rate === undefined) return undefined;
  return rate >= 0.95 ? 'teal' : rate >= 0.8 ? 'yellow.8' : 'red';
}

const JOB_COLUMNS: DataColumn<JobStats>[] = [
  {
    key: 'job',
    header: 'Job',
    cell: (j) => (
      <Text size="sm" fw={500} truncate maw={280}>
        {j.job_name || j.job_id}
      </Text>
    ),
  },
  { key: 'runs', header: 'Runs', align: 'right', td: () => ({ className: 'tabular' }), cell: (j) => formatCount(j.runs) },
  {
    key: 'rate',
    header: 'Success rate',
    align: 'right',
    td: () => ({ className: 'tabular', 'data-testid': 'job-success-rate' }),
    cell: (j) => (
      <Text size="sm" c={rateTone(j.success_rate)} fw={600}>
        {formatRate(j.success_rate)}
      </Text>
    ),
  },
  {
    key: 'failed',
    header: 'Failed',
    align: 'right',
    td: () => ({ className: 'tabular', 'data-testid': 'job-failed' }),
    cell: (j) => (
      <Text size="sm" c={j.failed > 0 ? 'red' : undefined}>
        {formatCount(j.failed)}
      </Text>
    ),
  },
  { key: 'cancelled', header: 'Cancelled', align: 'right', td: () => ({ className: 'tabular' }), cell: (j) => formatCount(j.cancelled) },
  { key: 'rows', header: 'Rows loaded', align: 'right', td: () => ({ className: 'tabular', 'data-testid': 'job-rows-loaded' }), cell: (j) => formatCount(j.rows_loaded) },
  {
    key: 'duration',
    header: 'Mean duration',
    align: 'right',
    td: () => ({ className: 'tabular', 'data-testid': 'job-mean-duration' }),
    cell: (j) => formatDuration(j.mean_duration_seconds),
  },
];

/** The ETL dashboard: the runs that finished in the last 7, 30 or 90 days, in all and per job. */
export function DashboardPage() {
  const [days, setDays] = useState<number>(30);
  const q = useEtlDashboard(days);
  const d = q.data;
  return (
    <>
      <PageHeader
        crumbs={[{ label: 'ETL' }, { label: 'Dashboard' }]}
        title="ETL dashboard"
        description={
          d
            ? `Runs that finished between ${formatDateTime(d.window_start)} and ${formatDateTime(d.window_end)}.`
            : `Runs that finished in the last ${days} days.`
        }
        actions={
          <SegmentedControl
            value={String(days)}
            onChange={(v) => setDays(Number(v))}
            data={DASHBOARD_PERIODS.map((n) => ({ value: String(n), label: `${n} days` }))}
            data-testid="dashboard-period"
          />
        }
      />
      {q.isError && !d ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <Stack gap="lg" data-testid="dashboard" data-state={d ? 'ok' : 'loading'} data-days={d?.days}>
          <DashboardTiles d={d} />
          <Card>
            <Text fw={600} mb="xs">
              Failures by error type
            </Text>
            {d && <FailuresChart d={d} />}
          </Card>
          <Card p={0}>
            <Group px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
              <Text fw={600}>By job</Text>
            </Group>
            {d && d.jobs?.length === 0 ? (
              <Text p="lg" size="sm" c="dimmed" data-testid="dashboard-no-runs">
                No run finished in the last {d.days} days.
              </Text>
            ) : (
              <DataTable
                testId="dashboard-jobs"
                minWidth={760}
                skeletonRows={3}
                columns={JOB_COLUMNS}
                rows={d?.jobs ?? undefined}
                rowKey={(j) => j.job_id}
                rowProps={(j) => ({ 'data-testid': 'dashboard-job-row', 'data-job-id': j.job_id })}
              />
            )}
          </Card>
        </Stack>
      )}
    </>
  );
}

function DashboardTiles({ d }: { d: Dashboard | undefined }) {
  const rest = d ? [d.failed > 0 && `${formatCount(d.failed)} failed`, d.cancelled > 0 && `${formatCount(d.cancelled)} cancelled`].filter(Boolean).join(', ') : '';
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} data-testid="dashboard-tiles">
      <StatTile id="success-rate" label="Success rate" value={d ? formatRate(d.success_rate) : undefined} tone={rateTone(d?.success_rate)} />
      <StatTile id="rows-loaded" label="Rows loaded" value={d ? formatCount(d.rows_loaded) : undefined} />
      <StatTile id="mean-duration" label="Mean duration" value={d ? formatDuration(d.mean_duration_seconds) : undefined} />
      <StatTile id="runs" label="Runs" value={d ? formatCount(d.runs) : undefined} hint={rest || undefined} />
    </SimpleGrid>
  );
}

function FailuresChart({ d }: { d: Dashboard }) {
  const series = failureSeries(d);
  if (d.failed === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="dashboard-no-failures">
        No run failed in the last {d.days} days.
      </Text>
    );
  }
  return (
    <>
      <div style={{ width: '100%', height: 220 }} data-testid="failures-chart">
        <ResponsiveContainer initialDimension={{ width: 720, height: 220 }}>
          <BarChart data={series} margin={{ top: 8, right: 12, bottom: 4, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#eceef3" vertical={false} />
            <XAxis dataKey="label" fontSize={12} />
            <YAxis allowDecimals={false} fontSize={11} />
            <Tooltip formatter={(v) => [formatCount(Number(v)), 'failed runs']} />
            <Bar dataKey="failures" fill="var(--mantine-color-red-5)" radius={[4, 4, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <Group gap="lg" mt="xs">
        {series
          .filter((s) => s.failures > 0)
          .map((s) => (
            <Text key={s.type} size="xs" c="dimmed" data-testid="failure-type" data-type={s.type}>
              {s.label}: <b>{formatCount(s.failures)}</b>
            </Text>
          ))}
      </Group>
    </>
  );
}
