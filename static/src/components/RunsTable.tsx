import { Group, Stack, Text, Tooltip } from '@mantine/core';
import { IconEqual, IconFile } from '@tabler/icons-react';
import { useNavigate } from 'react-router';
import type { Run } from '../api/types';
import { formatBytes, formatCount, formatDateTime, formatDuration, formatRelative } from '../lib/format';
import { baseName, isActive, rowsRead, runDurationSeconds, skippedLabel, skippedReason, triggerLabel } from '../lib/runs';
import { RunActions } from './RunActions';
import { RunProgress } from './RunProgress';
import { StatusBadge } from './StatusBadge';
import { DataTable, type DataColumn } from './DataTable';

/** The columns of the runs list; `now` times the running runs; editors get a menu of actions. */
function runColumns(now: number, writer: boolean): DataColumn<Run>[] {
  const right = { align: 'right' as const };
  const columns: DataColumn<Run>[] = [
    { key: 'status', header: 'Status', td: () => ({ style: { verticalAlign: 'middle', minWidth: 150 } }), cell: (run) => <RunStatusCell run={run} /> },
    {
      key: 'job',
      header: 'Job',
      cell: (run) => (
        <>
          <Text size="sm" fw={500} truncate maw={200}>
            {run.job_name || '—'}
          </Text>
          <Text size="xs" c="dimmed" truncate maw={200}>
            → {run.dest?.dataset}.{run.dest?.table}
          </Text>
        </>
      ),
    },
    { key: 'trigger', header: 'Trigger', cell: (run) => <Text size="sm">{triggerLabel(run.trigger)}</Text> },
    { key: 'object', header: 'Object', cell: (run) => <RunObject run={run} /> },
    {
      key: 'started',
      header: 'Started',
      td: () => ({ style: { whiteSpace: 'nowrap' } }),
      cell: (run) => {
        const started = run.started_at ?? run.created_at;
        return (
          <Tooltip label={formatDateTime(started)}>
            <Text size="sm">{formatRelative(started, now)}</Text>
          </Tooltip>
        );
      },
    },
    {
      key: 'duration',
      header: 'Duration',
      ...right,
      td: () => ({ className: 'tabular', style: { whiteSpace: 'nowrap' } }),
      cell: (run) => <Text size="sm">{formatDuration(runDurationSeconds(run, now))}</Text>,
    },
    {
      key: 'read',
      header: 'Read',
      ...right,
      td: () => ({ className: 'tabular', 'data-testid': 'run-rows-read' }),
      cell: (run) => <Text size="sm">{formatCount(rowsRead(run))}</Text>,
    },
    {
      key: 'loaded',
      header: 'Loaded',
      ...right,
      td: () => ({ className: 'tabular', 'data-testid': 'run-rows-loaded' }),
      cell: (run) => (
        <Text size="sm" fw={run.rows_loaded > 0 ? 600 : undefined}>
          {formatCount(run.rows_loaded)}
        </Text>
      ),
    },
    {
      key: 'rejected',
      header: 'Rejected',
      ...right,
      td: () => ({ className: 'tabular', 'data-testid': 'run-rows-rejected' }),
      cell: (run) => (
        <Text size="sm" c={run.rows_rejected > 0 ? 'orange.8' : undefined} fw={run.rows_rejected > 0 ? 600 : undefined}>
          {formatCount(run.rows_rejected)}
        </Text>
      ),
    },
  ];
  if (writer) columns.push({ key: 'actions', header: '', width: 48, cell: (run) => <RunActions run={run} as="menu" /> });
  return columns;
}

function RunStatusCell({ run }: { run: Run }) {
  const active = isActive(run);
  const skipped = active ? '' : skippedReason(run);
  return (
    <Stack gap={6}>
      <StatusBadge status={run.status} />
      {active && <RunProgress run={run} width={130} compact />}
      {skipped && (
        <Tooltip label={skipped} multiline maw={360}>
          <Group gap={4} wrap="nowrap" data-testid="run-skipped" data-reason={skipped}>
            <IconEqual size={12} stroke={2} color="var(--mantine-color-gray-6)" />
            <Text size="xs" c="dimmed">
              Skipped: {skippedLabel(skipped)}
            </Text>
          </Group>
        </Tooltip>
      )}
    </Stack>
  );
}

function RunObject({ run }: { run: Run }) {
  if (!run.object) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  return (
    <Tooltip label={`${run.object.bucket}/${run.object.name}`}>
      <Group gap={6} wrap="nowrap" maw={240}>
        <IconFile size={14} stroke={1.6} color="var(--mantine-color-gray-6)" style={{ flex: 'none' }} />
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Text size="sm" truncate>
            {baseName(run.object.name)}
          </Text>
          <Text size="xs" c="dimmed">
            {formatBytes(run.object.size)}
          </Text>
        </Stack>
      </Group>
    </Tooltip>
  );
}

export function RunsTable({ runs, loading, now, writer = false }: { runs: Run[] | undefined; loading?: boolean; now: number; writer?: boolean }) {
  const navigate = useNavigate();
  return (
    <DataTable
      testId="runs-table"
      minWidth={980}
      skeletonRows={5}
      tableProps={{ stickyHeader: true }}
      columns={runColumns(now, writer)}
      rows={runs}
      rowKey={(run) => run.id}
      loading={loading}
      onOpen={(run) => navigate(`/etl/runs/${encodeURIComponent(run.id)}`)}
      rowProps={(run) => ({
        'data-testid': 'run-row',
        'data-run-id': run.id,
        'data-status': run.status,
        'data-object-name': run.object?.name ?? '',
        'data-rows-read': rowsRead(run),
        'data-rows-loaded': run.rows_loaded ?? 0,
        'data-rows-rejected': run.rows_rejected ?? 0,
        'data-dest-table': run.dest?.table ?? '',
        'data-skipped': !isActive(run) && skippedReason(run) ? 'true' : undefined,
      })}
    />
  );
}
