import { ActionIcon, Anchor, Badge, Button, Card, Group, Menu, Stack, Text, Tooltip } from '@mantine/core';
import { IconBriefcase, IconDots, IconPencil, IconPlayerPause, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { keys, useJobMutation, useJobs } from '../../api/queries';
import type { JobView } from '../../api/types';
import { useApi, useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { formatFireTime } from '../../components/SchedulePicker';
import { Empty } from '../../components/States';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { JobDetailDrawer } from './JobDetailDrawer';
import { JobEditor } from './JobEditor';
import { useRunJobNow } from './useRunJobNow';

const MODE_LABELS: Record<string, string> = { append: 'Append', truncate: 'Replace', merge: 'Merge' };

export function JobsPage() {
  const jobs = useJobs();
  const session = useSession();
  const writer = canWrite(session.user.role);
  const now = useNow(15000);
  const [editing, setEditing] = useState<{ job: JobView | null } | null>(null);
  const [deleting, setDeleting] = useState<JobView | null>(null);
  const [showing, setShowing] = useState<string | null>(null);

  const columns: DataColumn<JobView>[] = [
    { key: 'job', header: 'Job', cell: (job) => <JobName job={job} onShow={() => setShowing(job.id)} /> },
    { key: 'source', header: 'Source', cell: (job) => <JobSource job={job} /> },
    { key: 'dest', header: 'Destination', cell: (job) => <JobDest job={job} /> },
    { key: 'schedule', header: 'Schedule', cell: (job) => <JobSchedule job={job} /> },
    { key: 'last-run', header: 'Last run', cell: (job) => <LastRun job={job} now={now} /> },
  ];
  if (writer) {
    columns.push({
      key: 'actions',
      header: '',
      align: 'right',
      cell: (job) => <JobActions job={job} onEdit={() => setEditing({ job })} onDelete={() => setDeleting(job)} />,
    });
  }

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'ETL' }, { label: 'Jobs' }]}
        title="Jobs"
        description="A job says which files load into which table, how and when. Jobs are created automatically the first time a new file name is dropped."
        actions={
          writer && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing({ job: null })} data-testid="job-new">
              New job
            </Button>
          )
        }
      />
      <JobEditor job={editing?.job ?? null} opened={editing !== null} onClose={() => setEditing(null)} />
      <DeleteJobModal job={deleting} onClose={() => setDeleting(null)} />
      <JobDetailDrawer job={showing ? jobs.data?.find((j) => j.id === showing) : undefined} opened={showing !== null} onClose={() => setShowing(null)} />
      <Card p={0}>
        <DataTable
          testId="jobs-table"
          minWidth={900}
          columns={columns}
          rows={jobs.data}
          rowKey={(job) => job.id}
          loading={jobs.isLoading}
          error={jobs.error}
          onRetry={() => void jobs.refetch()}
          rowProps={(job) => ({
            'data-testid': 'job-row',
            'data-job-id': job.id,
            'data-job-name': job.name,
            'data-dest-table': job.dest.table,
            'data-enabled': job.enabled,
          })}
          empty={
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
          }
        />
      </Card>
    </>
  );
}

function JobName({ job, onShow }: { job: JobView; onShow: () => void }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Anchor component="button" type="button" size="sm" fw={600} c="inherit" onClick={onShow} data-testid="job-open">
        {job.name}
      </Anchor>
      {job.auto_created && (
        <Tooltip label="Created automatically from a dropped file">
          <Badge size="xs" color="violet" style={{ flexShrink: 0 }} data-testid="job-auto-created">
            Auto
          </Badge>
        </Tooltip>
      )}
      {!job.enabled && (
        <Badge size="xs" color="gray" style={{ flexShrink: 0 }} data-testid="job-paused">
          Paused
        </Badge>
      )}
    </Group>
  );
}

function JobSource({ job }: { job: JobView }) {
  return (
    <>
      {job.file.pattern ? (
        <Text size="sm" className="mono" truncate maw={200}>
          {job.file.prefix}
          {job.file.pattern}
        </Text>
      ) : (
        <Text size="sm">{job.source_type}</Text>
      )}
      {job.file.format && (
        <Text size="xs" c="dimmed" tt="uppercase">
          {job.file.format}
        </Text>
      )}
    </>
  );
}

function JobDest({ job }: { job: JobView }) {
  return (
    <>
      <Anchor
        component={Link}
        to={`/etl/tables/${encodeURIComponent(job.dest.dataset)}/${encodeURIComponent(job.dest.table)}`}
        size="sm"
        className="mono"
      >
        {job.dest.dataset}.{job.dest.table}
      </Anchor>
      <Text size="xs" c="dimmed" data-testid="job-load-mode-label">
        {MODE_LABELS[job.load_mode] ?? job.load_mode}
      </Text>
    </>
  );
}

/** The schedule's label and next fire time, straight from the list's job view. */
function JobSchedule({ job }: { job: JobView }) {
  const { schedule } = job;
  const next = job.next_runs?.[0];
  return (
    <Stack gap={2}>
      <Tooltip label={schedule.cron ? `${schedule.cron} (${schedule.time_zone})` : 'Runs on file drop and Run now'}>
        <Text size="sm" style={{ whiteSpace: 'nowrap' }} data-testid="job-schedule-label">
          {schedule.label || 'Manual'}
        </Text>
      </Tooltip>
      {next ? (
        <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }} data-testid="job-next-run">
          Next {formatFireTime(next, schedule.time_zone || undefined, true)}
        </Text>
      ) : schedule.cron && !job.enabled ? (
        <Text size="xs" c="dimmed" data-testid="job-next-run">
          Paused
        </Text>
      ) : (
        !schedule.cron && (
          <Text size="xs" c="dimmed">
            On file drop
          </Text>
        )
      )}
    </Stack>
  );
}

function LastRun({ job, now }: { job: JobView; now: number }) {
  const last = job.last_run;
  if (!last) {
    return (
      <Text size="sm" c="dimmed">
        Never
      </Text>
    );
  }
  return (
    <Group gap={8} wrap="nowrap">
      <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(last.id)}`} underline="never" style={{ flexShrink: 0 }}>
        <StatusBadge status={last.status} size="sm" />
      </Anchor>
      <Tooltip label={formatDateTime(last.completed_at)} disabled={!last.completed_at}>
        <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
          {last.completed_at ? formatRelative(last.completed_at, now) : 'in progress'}
        </Text>
      </Tooltip>
    </Group>
  );
}

function JobActions({ job, onEdit, onDelete }: { job: JobView; onEdit: () => void; onDelete: () => void }) {
  const start = useRunJobNow();
  const toggle = useJobMutation<boolean>((api, pause) => (pause ? api.pauseJob(job.id) : api.resumeJob(job.id)));
  return (
    <>
      <Group gap={6} justify="flex-end" wrap="nowrap">
        <Button
          size="compact-sm"
          variant="light"
          leftSection={<IconPlayerPlay size={14} />}
          loading={start.isPending}
          disabled={!job.enabled}
          data-testid="job-run"
          onClick={() => start.runNow({ id: job.id, name: job.name, lastRunId: job.last_run?.id })}
        >
          Run now
        </Button>
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${job.name}`} loading={toggle.isPending} data-testid="job-menu">
              <IconDots size={16} />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item leftSection={<IconPencil size={14} />} onClick={onEdit} data-testid="job-edit">
              Edit
            </Menu.Item>
            {job.enabled ? (
              <Menu.Item leftSection={<IconPlayerPause size={14} />} onClick={() => toggle.mutate(true)} data-testid="job-pause">
                Pause
              </Menu.Item>
            ) : (
              <Menu.Item leftSection={<IconPlayerPlay size={14} />} onClick={() => toggle.mutate(false)} data-testid="job-resume">
                Resume
              </Menu.Item>
            )}
            <Menu.Divider />
            <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={onDelete} data-testid="job-delete">
              Delete
            </Menu.Item>
          </Menu.Dropdown>
        </Menu>
      </Group>
      {toggle.isError && (
        <Text size="xs" c="red" data-testid="job-toggle-error">
          {errorMessage(toggle.error)}
        </Text>
      )}
    </>
  );
}

function DeleteJobModal({ job, onClose }: { job: JobView | null; onClose: () => void }) {
  const api = useApi();
  return (
    <ConfirmDelete
      target={job}
      title="Delete job"
      testId="job-delete"
      invalidate={[keys.jobs]}
      onDelete={(j) => api.deleteJob(j.id)}
      onClose={onClose}
      message={(j) => (
        <>
          Delete <b>{j.name}</b>? Its schedule is removed. Its runs and the table it loaded stay.
        </>
      )}
    />
  );
}
