import { ActionIcon, Button, Group, Menu, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDots, IconPlayerStop, IconRotateClockwise } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { errorMessage } from '../api/client';
import { keys, useRunAction } from '../api/queries';
import type { Run } from '../api/types';
import { useApi } from '../auth/AuthProvider';
import { baseName, canRerun, isActive } from '../lib/runs';
import { ConfirmDelete } from './ConfirmDelete';
import { stopRowClick } from './DataTable';

/**
 * Cancel (a pending or running run, behind a confirmation that shows the server's refusal) and
 * Re-run (a failed, cancelled or partial run: opens the new run). `as="buttons"` on a run's page,
 * `as="menu"` in a row of the runs list. Editors only: the caller decides.
 */
export function RunActions({ run, as }: { run: Run; as: 'buttons' | 'menu' }) {
  const api = useApi();
  const navigate = useNavigate();
  const [cancelling, setCancelling] = useState<Run | null>(null);
  const retry = useRunAction('retry');
  const cancellable = isActive(run);
  const rerunnable = canRerun(run);
  if (!cancellable && !rerunnable) return null;

  const rerun = () =>
    retry.mutate(run.id, {
      onSuccess: (r) => void navigate(`/etl/runs/${encodeURIComponent(r.id)}`),
      onError: (err) => notifications.show({ color: 'red', title: 'Could not re-run the run', message: errorMessage(err) }),
    });
  const confirm = (
    <ConfirmDelete
      target={cancelling}
      title="Cancel run"
      closeLabel="Keep running"
      testId="run-cancel"
      message={(r) => (
        <>
          <Text size="sm">
            {r.job_name || 'This run'}
            {r.object ? ` (${baseName(r.object.name)})` : ''} stops at its next batch and loads nothing; the table stays as it
            is.
          </Text>
        </>
      )}
      onDelete={(r) => api.cancelRun(r.id)}
      invalidate={[keys.runs, keys.jobs]}
      onClose={() => setCancelling(null)}
    />
  );

  if (as === 'buttons') {
    return (
      <>
        {cancellable && (
          <Button color="red" variant="light" leftSection={<IconPlayerStop size={16} />} onClick={() => setCancelling(run)} data-testid="run-cancel">
            Cancel run
          </Button>
        )}
        {rerunnable && (
          <Button leftSection={<IconRotateClockwise size={16} />} loading={retry.isPending} onClick={rerun} data-testid="run-rerun">
            Re-run
          </Button>
        )}
        {confirm}
      </>
    );
  }
  return (
    <Group justify="flex-end" wrap="nowrap" {...stopRowClick}>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon variant="subtle" color="gray" aria-label="Run actions" loading={retry.isPending} data-testid="run-menu">
            <IconDots size={16} />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          {cancellable && (
            <Menu.Item color="red" leftSection={<IconPlayerStop size={14} />} onClick={() => setCancelling(run)} data-testid="run-menu-cancel">
              Cancel run
            </Menu.Item>
          )}
          {rerunnable && (
            <Menu.Item leftSection={<IconRotateClockwise size={14} />} onClick={rerun} data-testid="run-menu-rerun">
              Re-run
            </Menu.Item>
          )}
        </Menu.Dropdown>
      </Menu>
      {confirm}
    </Group>
  );
}
