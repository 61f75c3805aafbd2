import { ActionIcon, Alert, Anchor, Badge, Button, Card, Group, Menu, Modal, ScrollArea, Stack, Table, Text, Tooltip } from '@mantine/core';
import {
  IconAlertCircle,
  IconBriefcase,
  IconDots,
  IconPencil,
  IconPlayerPause,
  IconPlayerPlay,
  IconPlus,
  IconTrash,
} from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { useJobMutation, useJobs } from '../../api/queries';
import type { JobView } from '../../api/types';
import { formatFireTime } from '../../components/SchedulePicker';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorState, TableSkeleton } from '../../components/States';
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
  const columns = ['Job', 'Source', 'Destination', 'Schedule', 'Last run', ...(writer ? [''] : [])];
  const [editing, setEditing] = useState<{ job: JobView | null } | null>(null);
  const [deleting, setDeleting] = useState<JobView | null>(null);
  const [showing, setShowing] = useState<string | null>(null);

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
                    <JobRow
                      key={job.id}
                      job={job}
                      writer={writer}
                      now={now}
                      onEdit={(v) => setEditing({ job: v })}
                      onDelete={() => setDeleting(job)}
                      onShow={() => setShowing(job.id)}
                    />
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

function JobRow({
  job,
  writer,
  now,
  onEdit,
  onDelete,
  onShow,
}: {
  job: JobView;
  writer: boolean;
  now: number;
  onEdit: (v: JobView) => void;
  onDelete: () => void;
  onShow: () => void;
}) {
  const start = useRunJobNow();
  const toggle = useJobMutation<boolean>((api, pause) => (pause ? api.pauseJob(job.id) : api.resumeJob(job.id)));
  const next = job.next_runs?.[0];
  const schedule = job.schedule;
  return (
    <Table.Tr data-testid="job-row" data-job-id={job.id} data-job-name={job.name} data-dest-table={job.dest.table} data-enabled={job.enabled}>
      <Table.Td>
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
      </Table.Td>
      <Table.Td>
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
        <Text size="xs" c="dimmed" data-testid="job-load-mode-label">
          {MODE_LABELS[job.load_mode] ?? job.load_mode}
        </Text>
      </Table.Td>
      <Table.Td>
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
      </Table.Td>
      <Table.Td>
        {job.last_run ? (
          <Group gap={8} wrap="nowrap">
            <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(job.last_run.id)}`} underline="never" style={{ flexShrink: 0 }}>
              <StatusBadge status={job.last_run.status} size="sm" />
            </Anchor>
            <Tooltip label={formatDateTime(job.last_run.completed_at)} disabled={!job.last_run.completed_at}>
              <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
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
              <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => onEdit(job)} data-testid="job-edit">
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
        </Table.Td>
      )}
    </Table.Tr>
  );
}

function DeleteJobModal({ job, onClose }: { job: JobView | null; onClose: () => void }) {
  const del = useJobMutation<string>((api, id) => api.deleteJob(id));
  const close = () => {
    del.reset();
    onClose();
  };
  return (
    <Modal opened={job !== null} onClose={close} title="Delete job" data-testid="job-delete-modal">
      {job && (
        <Stack>
          <Text size="sm">
            Delete <b>{job.name}</b>? Its schedule is removed. Its runs and the table it loaded stay.
          </Text>
          {del.isError && (
            <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="job-delete-error">
              {errorMessage(del.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red" loading={del.isPending} onClick={() => del.mutate(job.id, { onSuccess: close })} data-testid="job-delete-confirm">
              Delete job
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
