import { ActionIcon, Anchor, Badge, Button, Card, Group, Menu, Stack, Text, Tooltip } from '@mantine/core';
import { IconDots, IconPencil, IconPlugConnected, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useConnections } from '../../api/queries';
import type { Connection } from '../../api/types';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { DataTable, stopRowClick, type DataColumn } from '../../components/DataTable';
import { Empty } from '../../components/States';
import { formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { DeleteConnectionModal, EditConnectionModal, NewConnectionModal } from './ConnectionModals';
import { locationOf, TypeBadge } from './connectionTypes';

export function LastTest({ c, now }: { c: Connection; now: number }) {
  if (!c.last_test_status) {
    return (
      <Text size="sm" c="dimmed" data-testid="connection-last-test" data-status="">
        Not tested
      </Text>
    );
  }
  const ok = c.last_test_status === 'success';
  return (
    <Tooltip label={c.last_test_message || (ok ? 'Connection works' : 'Failed')} multiline maw={360} disabled={!c.last_test_message}>
      <Group gap={6} wrap="nowrap" data-testid="connection-last-test" data-status={c.last_test_status}>
        <Badge size="sm" color={ok ? 'green' : 'red'} variant="light">
          {ok ? 'OK' : 'Failed'}
        </Badge>
        <Text size="xs" c="dimmed" title={formatDateTime(c.last_test_at)}>
          {formatRelative(c.last_test_at, now)}
        </Text>
      </Group>
    </Tooltip>
  );
}

export function ConnectionsPage() {
  const conns = useConnections();
  const session = useSession();
  const writer = canWrite(session.user.role);
  const now = useNow(15000);
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Connection | null>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const columns: DataColumn<Connection>[] = [
    { key: 'name', header: 'Name', cell: (c) => <ConnectionName c={c} /> },
    { key: 'type', header: 'Type', cell: (c) => <TypeBadge type={c.type} /> },
    {
      key: 'location',
      header: 'Location',
      cell: (c) => (
        <Text size="sm" className="mono" truncate maw={300} data-testid="connection-location">
          {locationOf(c) || '—'}
        </Text>
      ),
    },
    { key: 'last-test', header: 'Last test', cell: (c) => <LastTest c={c} now={now} /> },
    {
      key: 'jobs',
      header: 'Jobs',
      cell: (c) => (
        <Text size="sm" className="tabular" data-testid="connection-jobs">
          {c.jobs_count}
        </Text>
      ),
    },
  ];
  if (writer) {
    columns.push({
      key: 'actions',
      header: '',
      align: 'right',
      td: () => stopRowClick,
      cell: (c) => (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${c.name}`} data-testid="connection-menu">
              <IconDots size={16} />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setEditing(c)} data-testid="connection-edit">
              Edit
            </Menu.Item>
            <Menu.Divider />
            <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setDeleting(c)} data-testid="connection-delete">
              Delete
            </Menu.Item>
          </Menu.Dropdown>
        </Menu>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Connections"
        description="The databases and storage buckets your order history lives in. Credentials are kept in the secret store and never shown again."
        actions={
          writer && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} data-testid="connection-new">
              New connection
            </Button>
          )
        }
      />
      <NewConnectionModal opened={creating} onClose={() => setCreating(false)} />
      <EditConnectionModal connection={editing} onClose={() => setEditing(null)} />
      <DeleteConnectionModal connection={deleting} onClose={() => setDeleting(null)} />
      <Card p={0}>
        <DataTable
          testId="connections-table"
          minWidth={880}
          tableProps={{ highlightOnHover: true }}
          columns={columns}
          rows={conns.data}
          rowKey={(c) => c.id}
          loading={conns.isLoading}
          error={conns.error}
          onRetry={() => void conns.refetch()}
          onOpen={(c) => navigate(`/connections/${encodeURIComponent(c.id)}`)}
          rowProps={(c) => ({ 'data-testid': 'connection-row', 'data-connection-id': c.id, 'data-name': c.name })}
          empty={
            <Empty
              icon={IconPlugConnected}
              testId="connections-empty"
              title="No connections yet"
              description={
                writer
                  ? 'Connect a PostgreSQL or MySQL database, or a GCS, S3 or Azure bucket, to load its tables and files.'
                  : 'An editor can connect databases and buckets here.'
              }
              action={
                writer && (
                  <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
                    New connection
                  </Button>
                )
              }
            />
          }
        />
      </Card>
    </>
  );
}

function ConnectionName({ c }: { c: Connection }) {
  return (
    <Stack gap={0}>
      <Group gap={6}>
        <Anchor component={Link} to={`/connections/${encodeURIComponent(c.id)}`} fw={600} size="sm" onClick={(e) => e.stopPropagation()}>
          {c.name}
        </Anchor>
        {!c.enabled && (
          <Badge size="xs" color="gray">
            Disabled
          </Badge>
        )}
      </Group>
      {c.description && (
        <Text size="xs" c="dimmed" truncate maw={260}>
          {c.description}
        </Text>
      )}
    </Stack>
  );
}
