import { Anchor, Badge, Drawer, Group, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { IconCalendarEvent } from '@tabler/icons-react';
import { Link } from 'react-router';
import type { JobView } from '../../api/types';
import { formatFireTime } from '../../components/SchedulePicker';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime } from '../../lib/format';

const MODE_LABELS: Record<string, string> = { append: 'Append', truncate: 'Replace', merge: 'Merge' };

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={2} style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      {children}
    </Stack>
  );
}

/** A job's settings, schedule and next fire times. */
export function JobDetailDrawer({ job, opened, onClose }: { job: JobView | undefined; opened: boolean; onClose: () => void }) {
  return (
    <Drawer opened={opened} onClose={onClose} position="right" size="md" title={<Title order={3}>{job?.name ?? 'Job'}</Title>} data-testid="job-detail">
      {!job ? (
        <Stack>
          <Skeleton height={16} />
          <Skeleton height={16} width="60%" />
        </Stack>
      ) : (
        <Stack gap="lg">
          <Group gap="xs">
            {job.enabled ? (
              <Badge color="green" variant="light">
                Enabled
              </Badge>
            ) : (
              <Badge color="gray">Paused</Badge>
            )}
            {job.auto_created && (
              <Badge color="violet" variant="light">
                Auto-created
              </Badge>
            )}
          </Group>
          <SimpleGrid cols={2} spacing="md">
            <Field label="Folder">
              <Text size="sm" className="mono">
                {job.file?.prefix || '(top)'}
              </Text>
            </Field>
            <Field label="Pattern">
              <Text size="sm" className="mono">
                {job.file?.pattern}
              </Text>
            </Field>
            <Field label="Format">
              <Text size="sm">{job.file?.format ? job.file.format.toUpperCase() : 'From the extension'}</Text>
            </Field>
            <Field label="Load mode">
              <Text size="sm">
                {MODE_LABELS[job.load_mode] ?? job.load_mode}
                {job.merge_keys?.length ? ` on ${job.merge_keys.join(', ')}` : ''}
              </Text>
            </Field>
            <Field label="Destination">
              <Anchor component={Link} size="sm" className="mono" to={`/etl/tables/${encodeURIComponent(job.dest.dataset)}/${encodeURIComponent(job.dest.table)}`}>
                {job.dest.dataset}.{job.dest.table}
              </Anchor>
            </Field>
            <Field label="Created">
              <Text size="sm">{formatDateTime(job.created_at)}</Text>
            </Field>
          </SimpleGrid>
          <Stack gap={6}>
            <Group gap="xs">
              <IconCalendarEvent size={16} />
              <Text fw={600} size="sm" data-testid="job-detail-schedule">
                {job.schedule.label || 'Manual'}
              </Text>
              {job.schedule.cron && (
                <Badge variant="light" color="gray" tt="none" className="mono">
                  {job.schedule.cron}
                </Badge>
              )}
            </Group>
            {job.schedule.paused || !job.enabled ? (
              <Text size="sm" c="dimmed">
                Paused: no scheduled runs until it is resumed.
              </Text>
            ) : (job.next_runs ?? []).length > 0 ? (
              <Stack gap={2} data-testid="job-detail-next-runs">
                <Text size="xs" c="dimmed" fw={600} tt="uppercase">
                  Next runs ({job.schedule.time_zone})
                </Text>
                {(job.next_runs ?? []).map((t) => (
                  <Text key={t} size="sm" className="mono">
                    {formatFireTime(t, job.schedule.time_zone || undefined)}
                  </Text>
                ))}
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">
                Runs when matching files are dropped, or with Run now.
              </Text>
            )}
          </Stack>
          <Field label="Last run">
            {job.last_run ? (
              <Group gap="xs">
                <Anchor component={Link} to={`/etl/runs/${encodeURIComponent(job.last_run.id)}`} underline="never">
                  <StatusBadge status={job.last_run.status} size="sm" />
                </Anchor>
                <Text size="xs" c="dimmed">
                  {formatDateTime(job.last_run.completed_at)}
                </Text>
              </Group>
            ) : (
              <Text size="sm" c="dimmed">
                Never
              </Text>
            )}
          </Field>
        </Stack>
      )}
    </Drawer>
  );
}
