import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Grid,
  Group,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Timeline,
  Tooltip,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconCheck,
  IconCircleDashed,
  IconColumnInsertRight,
  IconDownload,
  IconEqual,
  IconInfoCircle,
  IconPlayerPlay,
  IconPlayerSkipForward,
  IconX,
} from '@tabler/icons-react';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { errorMessage } from '../../api/client';
import { useRejects, useRun, useRunLog } from '../../api/queries';
import type { LogLevel, LogLine, Reject, Run } from '../../api/types';
import { useApi, useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { RunActions } from '../../components/RunActions';
import { RunProgress } from '../../components/RunProgress';
import { ErrorState } from '../../components/States';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { StatTile } from '../../components/StatTile';
import { StatusBadge } from '../../components/StatusBadge';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatTime,
  secondsBetween,
} from '../../lib/format';
import { saveBlob } from '../../lib/download';
import {
  baseName,
  canRerun,
  encodingLabel,
  hasTable,
  isActive,
  rowsRead,
  runDurationSeconds,
  skippedLabel,
  skippedReason,
  skippedRunId,
  skippedSentence,
  triggerLabel,
} from '../../lib/runs';
import { useNow } from '../../lib/useNow';
import { isRunNowState, useRunJobNow } from './useRunJobNow';

export function RunDetailPage() {
  const { runId = '' } = useParams();
  const run = useRun(runId);
  const session = useSession();
  const writer = canWrite(session.user.role);
  const active = run.data ? isActive(run.data) : false;
  const now = useNow(1000, active);
  const location = useLocation();
  const runNow = isRunNowState(location.state, runId) ? location.state.runNow : null;
  const crumbs = [{ label: 'ETL' }, { label: 'Runs', to: '/etl' }, { label: shortId(runId) }];

  if (run.isError && !run.data) {
    return (
      <>
        <PageHeader crumbs={crumbs} title="Run" />
        <ErrorState error={run.error} onRetry={() => void run.refetch()} />
      </>
    );
  }
  if (!run.data) {
    return (
      <>
        <PageHeader crumbs={crumbs} title={<Skeleton height={28} width={260} />} />
        <Skeleton height={120} radius="md" mb="md" />
        <Skeleton height={240} radius="md" />
      </>
    );
  }

  const r = run.data;
  const hasRejects = r.rows_rejected > 0 || r.status === 'partial';
  return (
    <>
      <PageHeader
        crumbs={crumbs}
        title={r.job_name || 'Run'}
        badge={<StatusBadge status={r.status} size="lg" />}
        description={
          <>
            {triggerLabel(r.trigger)} run into{' '}
            {hasTable(r) ? (
              <Anchor
                component={Link}
                to={`/etl/tables/${encodeURIComponent(r.dest.dataset)}/${encodeURIComponent(r.dest.table)}`}
                data-testid="run-table-link"
              >
                {r.dest.dataset}.{r.dest.table}
              </Anchor>
            ) : (
              <Text span className="mono" data-testid="run-table-name">
                {r.dest.dataset}.{r.dest.table}
              </Text>
            )}
            {r.object ? ` from ${baseName(r.object.name)}` : ''} · run <Code>{r.id}</Code>
            {r.retry_of && (
              <Text span data-testid="run-retry-of">
                {' '}
                · re-run of{' '}
                <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(r.retry_of)}`} className="mono">
                  {shortId(r.retry_of)}
                </Anchor>
              </Text>
            )}
          </>
        }
        actions={
          writer ? (
            <>
              <RunActions run={r} as="buttons" />
              {!active && r.job_id && !canRerun(r) && <RerunButton run={r} />}
            </>
          ) : undefined
        }
      />

      {r.error_message && (
        <Alert
          color={r.status === 'partial' ? 'yellow' : 'red'}
          variant="light"
          mb="lg"
          icon={<IconAlertTriangle size={18} />}
          title={r.error_type ? `${capitalise(r.error_type)} error` : 'Error'}
          data-testid="run-error"
        >
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {r.error_message}
          </Text>
        </Alert>
      )}
      {runNow?.outcome === 'earlier' && (
        <Alert color="blue" variant="light" mb="lg" icon={<IconInfoCircle size={18} />} title="Nothing new to load" data-testid="run-now-earlier">
          <Text size="sm">
            Every file of {runNow.jobName} was already run, so Run now started no new run. This is the earlier run
            {r.object ? ` of ${baseName(r.object.name)}` : ''}. Upload a changed file to load it again.
          </Text>
        </Alert>
      )}
      {skippedReason(r) && (
        <Alert
          color="gray"
          variant="light"
          mb="lg"
          icon={<IconEqual size={18} />}
          title={skippedLabel(skippedReason(r)) === 'unchanged' ? 'Nothing loaded: the content is unchanged' : 'Skipped: nothing loaded'}
          data-testid="run-skipped"
        >
          <SkipReason reason={skippedReason(r)} />
        </Alert>
      )}

      {(r.added_columns?.length ?? 0) > 0 && (
        <Alert color="blue" variant="light" mb="lg" icon={<IconColumnInsertRight size={18} />} title="New columns added to the table" data-testid="run-added-columns">
          <Text size="sm">
            The source had columns {r.dest.dataset}.{r.dest.table} did not have; this job adds them (earlier rows are empty in
            them):{' '}
            {r.added_columns?.map((c, i) => (
              <span key={c}>
                {i > 0 && ', '}
                <Code data-testid="added-column">{c}</Code>
              </span>
            ))}
          </Text>
        </Alert>
      )}

      <SimpleGrid cols={{ base: 2, md: 6 }} mb="lg" data-testid="run-counts">
        <StatTile size={20} id="rows-read" label="Rows read" value={formatCount(rowsRead(r))} />
        <StatTile size={20} id="rows-loaded" label="Rows loaded" value={formatCount(r.rows_loaded)} tone={r.rows_loaded > 0 ? 'teal' : undefined} />
        <StatTile size={20} id="rows-rejected" label="Rows rejected" value={formatCount(r.rows_rejected)} tone={r.rows_rejected > 0 ? 'orange' : undefined} />
        <StatTile size={20} id="processed" label="Processed" value={formatBytes(r.bytes_processed)} />
        <StatTile size={20} id="duration" label="Duration" value={formatDuration(runDurationSeconds(r, now))} />
        <StatTile size={20} id="rows-per-second" label="Rows per second" value={r.rows_per_second > 0 ? formatCount(Math.round(r.rows_per_second)) : '—'} />
      </SimpleGrid>

      <Grid gap="lg" mb="lg">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card h="100%">
            <Text fw={600} mb="md">
              Stages
            </Text>
            {active && (
              <Group mb="md">
                <RunProgress run={r} width="100%" />
              </Group>
            )}
            <StageTimeline run={r} now={now} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card h="100%">
            <Text fw={600} mb="md">
              Details
            </Text>
            <Table variant="vertical" layout="fixed" withRowBorders={false} verticalSpacing={6} highlightOnHover={false}>
              <Table.Tbody>
                <Detail label="Job" value={r.job_name} />
                <Detail label="Trigger" value={triggerLabel(r.trigger)} />
                <Detail label="Source object" value={r.object ? `${r.object.bucket}/${r.object.name}` : '—'} mono />
                <Detail label="Object size" value={r.object ? formatBytes(r.object.size) : '—'} />
                {r.object && <Detail label="Encoding" value={encodingLabel(r.encoding)} />}
                <Detail label="Destination" value={`${r.dest.dataset}.${r.dest.table}`} mono />
                {r.partitions && (
                  <Detail
                    label="Partitions"
                    value={`${r.partitions.done} of ${r.partitions.total} read, split on ${r.partitions.column}`}
                  />
                )}
                <Detail label="Created" value={formatDateTime(r.created_at)} />
                <Detail label="Started" value={formatDateTime(r.started_at)} />
                <Detail label="Finished" value={formatDateTime(r.completed_at)} />
              </Table.Tbody>
            </Table>
          </Card>
        </Grid.Col>
      </Grid>

      {hasRejects && <RejectsCard run={r} />}
      <RunLogCard run={r} />
    </>
  );
}

function SkipReason({ reason }: { reason: string }) {
  const sentence = skippedSentence(reason).replace(/\.$/, '');
  const prev = skippedRunId(sentence);
  const at = prev ? sentence.lastIndexOf(prev) : -1;
  const advice = skippedLabel(reason) === 'unchanged' ? ' Upload a changed file to load it again.' : '';
  return (
    <Text size="sm">
      {at < 0 ? (
        sentence
      ) : (
        <>
          {sentence.slice(0, at)}
          <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(prev)}`} size="sm" className="mono" data-testid="skip-previous-run">
            {prev}
          </Anchor>
          {sentence.slice(at + prev.length)}
        </>
      )}
      .{advice}
    </Text>
  );
}

function RerunButton({ run }: { run: Run }) {
  const start = useRunJobNow();
  return (
    <Button
      leftSection={<IconPlayerPlay size={16} />}
      variant="default"
      loading={start.isPending}
      data-testid="run-again"
      onClick={() => start.runNow({ id: run.job_id, name: run.job_name, lastRunId: run.id })}
    >
      Run job again
    </Button>
  );
}

interface Stage {
  key: string;
  label: string;
  at: string | null | undefined;
  /** When the stage began, to show how long it took. */
  from?: string | null;
  failedOn?: string;
}

export function stagesOf(r: Run): Stage[] {
  const s = r.stages ?? {};
  return [
    { key: 'queued', label: 'Queued', at: r.created_at },
    { key: 'started', label: 'Started', at: r.started_at, from: r.created_at },
    { key: 'init', label: 'Initialised', at: s.init_completed_at, from: r.started_at, failedOn: 'init' },
    { key: 'validation', label: 'Validated', at: s.validation_completed_at, from: s.init_completed_at, failedOn: 'validation' },
    { key: 'extraction', label: 'Extracted', at: s.extraction_completed_at, from: s.extraction_started_at, failedOn: 'extraction' },
    { key: 'loading', label: 'Loaded', at: s.loading_completed_at, from: s.loading_started_at, failedOn: 'load' },
    { key: 'finished', label: finishLabel(r), at: r.completed_at },
  ];
}

function finishLabel(r: Run): string {
  if (r.status === 'completed' && skippedReason(r)) return `Skipped: ${skippedLabel(skippedReason(r))}`;
  switch (r.status) {
    case 'completed':
      return 'Completed';
    case 'partial':
      return 'Completed with rejects';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    default:
      return 'Finish';
  }
}

function StageTimeline({ run, now }: { run: Run; now: number }) {
  const stages = stagesOf(run);
  let lastDone = -1;
  stages.forEach((st, i) => {
    if (st.at) lastDone = i;
  });
  const failed = run.status === 'failed';
  const failedIdx = failed ? stages.findIndex((st) => st.failedOn && st.failedOn === run.error_type) : -1;
  // The timeline is lit up to the last stage reached in order (for a failed run, the stage that failed).
  let reached = -1;
  for (let i = 0; i < stages.length; i++) {
    if (stages[i].at || i === failedIdx) reached = i;
    else break;
  }
  if (failed && failedIdx < 0) reached = stages.length - 1;
  if (!failed && run.completed_at) reached = stages.length - 1;
  const skipped = !!skippedReason(run) && !isActive(run);
  const finishColor = failed ? 'red' : run.status === 'partial' ? 'yellow' : run.status === 'cancelled' || skipped ? 'gray' : undefined;

  return (
    <Timeline bulletSize={22} lineWidth={2} active={reached} color="teal" data-testid="stage-timeline">
      {stages.map((st, i) => {
        const done = !!st.at;
        const isFailStage = failed && (i === failedIdx || (failedIdx < 0 && st.key === 'finished'));
        const inProgress = !done && isActive(run) && i === lastDone + 1;
        const passedOver = skipped && !done && st.key !== 'finished';
        const took = done && st.from ? secondsBetween(st.from, st.at) : inProgress && st.from ? secondsBetween(st.from, null, now) : null;
        return (
          <Timeline.Item
            key={st.key}
            data-testid="stage"
            data-stage={st.key}
            data-done={done}
            data-skipped={passedOver || undefined}
            color={isFailStage ? 'red' : passedOver ? 'gray' : st.key === 'finished' && done ? finishColor : undefined}
            bullet={
              isFailStage || (failed && st.key === 'finished') ? (
                <IconX size={12} />
              ) : passedOver ? (
                <IconPlayerSkipForward size={11} />
              ) : st.key === 'finished' && skipped ? (
                <IconEqual size={12} />
              ) : done ? (
                <IconCheck size={12} />
              ) : (
                <IconCircleDashed size={12} color="var(--mantine-color-gray-5)" />
              )
            }
            title={
              <Text size="sm" fw={done || inProgress || isFailStage ? 600 : 400} c={done || inProgress || isFailStage ? undefined : 'dimmed'}>
                {st.label}
                {inProgress ? '…' : ''}
              </Text>
            }
          >
            <Group gap={6}>
              <Tooltip label={formatDateTime(st.at)} disabled={!st.at}>
                <Text size="xs" c="dimmed" className="tabular">
                  {st.at
                  ? formatTime(st.at)
                  : inProgress
                    ? 'in progress'
                    : isFailStage
                      ? 'stopped here'
                      : passedOver
                        ? 'skipped'
                        : 'not reached'}
                </Text>
              </Tooltip>
              {took !== null && took >= 0 && (
                <Text size="xs" c="dimmed" className="tabular">
                  · {formatDuration(took)}
                </Text>
              )}
            </Group>
          </Timeline.Item>
        );
      })}
    </Timeline>
  );
}

const REJECT_COLUMNS: DataColumn<Reject>[] = [
  { key: 'line', header: 'Line', align: 'right', width: 90, td: () => ({ className: 'tabular' }), cell: (rj) => formatCount(rj.line) },
  { key: 'column', header: 'Column', width: 180, cell: (rj) => (rj.column ? <Code>{rj.column}</Code> : <Text c="dimmed">—</Text>) },
  { key: 'reason', header: 'Reason', cell: (rj) => <Text size="sm">{rj.reason}</Text> },
  {
    key: 'raw',
    header: 'Raw',
    cell: (rj) => (
      <Text className="mono" c="dimmed" truncate maw={360}>
        {rj.raw}
      </Text>
    ),
  },
];

/** Rejects have no id: a row is rejected once per column and reason. */
const rejectKey = (rj: Reject) => `${rj.line}:${rj.column ?? ''}:${rj.reason}`;

function RejectsCard({ run }: { run: Run }) {
  const rejects = useRejects(run.id, true);
  const total = rejects.data?.total ?? run.rows_rejected;
  return (
    <Card p={0} mb="lg" data-testid="rejects-card">
      <Group justify="space-between" px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
        <Text fw={600}>Rejected rows</Text>
        <Group gap="sm">
          <Text size="sm" c="dimmed" className="tabular">
            {rejects.data ? `showing ${formatCount(rejects.data.rejects.length)} of ${formatCount(total)}` : ''}
          </Text>
          <RejectsDownload run={run} format="csv" />
          <RejectsDownload run={run} format="jsonl" />
        </Group>
      </Group>
      {rejects.isError ? (
        <Stack p="lg">
          <ErrorState error={rejects.error} onRetry={() => void rejects.refetch()} />
        </Stack>
      ) : rejects.isLoading ? (
        <Stack p="lg" gap="xs">
          <Skeleton height={14} />
          <Skeleton height={14} />
          <Skeleton height={14} />
        </Stack>
      ) : rejects.data && rejects.data.rejects.length === 0 ? (
        <Text p="lg" size="sm" c="dimmed">
          No rejected rows were recorded for this run.
        </Text>
      ) : (
        <DataTable testId="rejects-table" minWidth={720} columns={REJECT_COLUMNS} rows={rejects.data?.rejects} rowKey={rejectKey} rowProps={() => ({ 'data-testid': 'reject-row' })} />
      )}
    </Card>
  );
}

/** Downloads the run's whole rejects file (the table shows only the first rows). */
function RejectsDownload({ run, format }: { run: Run; format: 'csv' | 'jsonl' }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const file = await api.downloadRejects(run.id, format);
      saveBlob(file.blob, file.name);
    } catch (err) {
      notifications.show({ color: 'red', title: 'Could not download the rejected rows', message: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button size="xs" variant="default" leftSection={<IconDownload size={14} />} loading={busy} onClick={() => void download()} data-testid={`rejects-download-${format}`}>
      {format.toUpperCase()}
    </Button>
  );
}

const LEVEL_COLORS: Record<LogLevel, string> = { info: 'gray', warn: 'yellow', error: 'red' };

const LOG_COLUMNS: DataColumn<LogLine>[] = [
  {
    key: 'time',
    header: 'Time',
    width: 110,
    td: () => ({ className: 'tabular', style: { whiteSpace: 'nowrap' } }),
    cell: (l) => (
      <Tooltip label={formatDateTime(l.time)}>
        <Text size="sm">{formatTime(l.time)}</Text>
      </Tooltip>
    ),
  },
  {
    key: 'level',
    header: 'Level',
    width: 90,
    cell: (l) => (
      <Badge size="sm" variant="light" color={LEVEL_COLORS[l.level] ?? 'gray'} data-testid="log-level">
        {l.level}
      </Badge>
    ),
  },
  {
    key: 'stage',
    header: 'Stage',
    width: 110,
    cell: (l) => (
      <Text size="sm" data-testid="log-stage">
        {l.stage ? capitalise(l.stage) : '—'}
      </Text>
    ),
  },
  {
    key: 'message',
    header: 'Message',
    cell: (l) => (
      <>
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="log-message">
          {l.message}
        </Text>
        {l.counts && Object.keys(l.counts).length > 0 && (
          <Text size="xs" c="dimmed" className="tabular" data-testid="log-counts">
            {Object.entries(l.counts)
              .map(([k, v]) => `${k.replace(/_/g, ' ')} ${k.startsWith('bytes') ? formatBytes(v) : formatCount(v)}`)
              .join(' · ')}
          </Text>
        )}
      </>
    ),
  },
];

/** The run's own log, refreshed while the run moves. */
function RunLogCard({ run }: { run: Run }) {
  const log = useRunLog(run);
  const lines = log.data?.lines ?? undefined;
  return (
    <Card p={0} data-testid="run-log" data-state={log.isError ? 'error' : log.data ? 'ok' : 'loading'}>
      <Group justify="space-between" px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
        <Text fw={600}>Log</Text>
        <Text size="sm" c="dimmed">
          {isActive(run) ? 'refreshing while the run is active' : log.data?.dropped ? `${formatCount(log.data.dropped)} older lines not kept` : ''}
        </Text>
      </Group>
      {log.isError && !log.data ? (
        <Stack p="lg">
          <ErrorState error={log.error} onRetry={() => void log.refetch()} />
        </Stack>
      ) : lines && lines.length === 0 ? (
        <Text p="lg" size="sm" c="dimmed" data-testid="run-log-empty">
          This run has written no log lines yet.
        </Text>
      ) : (
        <DataTable
          testId="run-log-table"
          minWidth={720}
          skeletonRows={3}
          columns={LOG_COLUMNS}
          rows={lines}
          rowKey={(l) => String(l.seq)}
          rowProps={(l) => ({ 'data-testid': 'log-line', 'data-level': l.level, 'data-stage': l.stage })}
        />
      )}
    </Card>
  );
}

function Detail({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  return (
    <Table.Tr>
      <Table.Th w={140} fw={500} c="dimmed" fz="sm" bg="transparent">
        {label}
      </Table.Th>
      <Table.Td>
        <Text size="sm" className={mono ? 'mono' : undefined} style={{ wordBreak: 'break-all' }}>
          {value || '—'}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) + '…' : id;
}

function capitalise(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
