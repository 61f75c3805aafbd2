import { Anchor, Badge, Button, Card, Group, ScrollArea, Table, Text, Tooltip } from '@mantine/core';
import { IconBriefcase, IconPlayerPlay } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useJobs } from '../../api/queries';
import type { Job } from '../../api/types';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorState, TableSkeleton } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { useRunJobNow } from './useRunJobNow';

const MODE_LABELS: Record<string, string> = { append: 'Append', truncate: 'Replace', merge: 'Merge' };

export function JobsPage() {
  const jobs = useJobs();
  const session = useSession();
  const writer = canWrite(session.user.role);
  const now = useNow(15000);
  const columns = ['Job', 'Source', 'Destination', 'Mode', 'Schedule', 'Last run', ...(writer ? [''] : [])];

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'ETL' }, { label: 'Jobs' }]}
        title="Jobs"
        description="A job says which files load into which table, and how. Jobs are created automatically the first time a new file name is dropped."
      />
      <Card p={0}>
        {jobs.isError && !jobs.data ? (
          <Card.Section p="lg">
            <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} />
          </Card.Section>
        ) : jobs.data && jobs.data.length === 0 ? (
          <Empty
            icon={IconBriefcase}
            testId="jobs-empty"
            title="No jobs yet"
            description={
              <>
                Upload a file on the{' '}
                <Anchor component={Link} to="/etl">
                  Runs
                </Anchor>{' '}
                page and a job is created for it.
              </>
            }
          />
        ) : (
          <ScrollArea type="auto">
            <Table miw={900} data-testid="jobs-table">
              <Table.Thead>
                <Table.Tr>
                  {columns.map((c) => (
                    <Table.Th key={c || 'actions'}>
                      <Text size="xs" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: '0.04em' }}>
                        {c}
                      </Text>
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              {jobs.isLoading ? (
                <TableSkeleton columns={columns.length} rows={3} />
              ) : (
                <Table.Tbody>
                  {jobs.data?.map((job) => (
                    <JobRow key={job.id} job={job} writer={writer} now={now} />
                  ))}
                </Table.Tbody>
              )}
            </Table>
          </ScrollArea>
        )}
      </Card>
    </>
  );
}

function JobRow({ job, writer, now }: { job: Job; writer: boolean; now: number }) {
  const start = useRunJobNow();
  return (
    <Table.Tr data-testid="job-row" data-job-id={job.id} data-dest-table={job.dest.table}>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          <Text size="sm" fw={600}>
            {job.name}
          </Text>
          {job.auto_created && (
            <Tooltip label="Created automatically from a dropped file">
              <Badge size="xs" color="violet" data-testid="job-auto-created">
                Auto
              </Badge>
            </Tooltip>
          )}
          {!job.enabled && (
            <Badge size="xs" color="gray">
              Disabled
            </Badge>
          )}
        </Group>
      </Table.Td>
      <Table.Td>
        {job.file ? (
          <Text size="sm" className="mono" truncate maw={240}>
            {job.file.prefix}
            {job.file.pattern}
          </Text>
        ) : (
          <Text size="sm">{job.source_type}</Text>
        )}
        {job.file?.format && (
          <Text size="xs" c="dimmed" tt="uppercase">
            {job.file.format}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Anchor
          component={Link}
          to={`/etl/tables/${encodeURIComponent(job.dest.dataset)}/${encodeURIComponent(job.dest.table)}`}
          size="sm"
          className="mono"
        >
          {job.dest.dataset}.{job.dest.table}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{MODE_LABELS[job.load_mode] ?? job.load_mode}</Text>
      </Table.Td>
      <Table.Td>
        {job.schedule ? (
          <Text size="sm" className="mono">
            {job.schedule.cron}{' '}
            <Text span size="xs" c="dimmed">
              {job.schedule.time_zone}
            </Text>
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            On file drop
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {job.last_run ? (
          <Group gap={8} wrap="nowrap">
            <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(job.last_run.id)}`} underline="never">
              <StatusBadge status={job.last_run.status} size="sm" />
            </Anchor>
            <Tooltip label={formatDateTime(job.last_run.completed_at)} disabled={!job.last_run.completed_at}>
              <Text size="xs" c="dimmed">
                {job.last_run.completed_at ? formatRelative(job.last_run.completed_at, now) : 'in progress'}
              </Text>
            </Tooltip>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            Never
          </Text>
        )}
      </Table.Td>
      {writer && (
        <Table.Td ta="right">
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlayerPlay size={14} />}
            loading={start.isPending}
            disabled={!job.enabled}
            data-testid="job-run"
            onClick={() => start.runNow({ id: job.id, name: job.name, lastRunId: job.last_run?.id })}
          >
            Run now
          </Button>
        </Table.Td>
      )}
    </Table.Tr>
  );
}
