import { ActionIcon, Anchor, Badge, Button, Card, Group, Menu, ScrollArea, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconDots, IconPencil, IconPlugConnected, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useConnections } from '../../api/queries';
import type { Connection } from '../../api/types';
import { useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorState, TableSkeleton } from '../../components/States';
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
  const columns = ['Name', 'Type', 'Location', 'Last test', 'Jobs', ...(writer ? [''] : [])];

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
        {conns.isError && !conns.data ? (
          <Card.Section p="lg">
            <ErrorState error={conns.error} onRetry={() => void conns.refetch()} />
          </Card.Section>
        ) : conns.data && conns.data.length === 0 ? (
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
        ) : (
          <ScrollArea type="auto">
            <Table miw={880} highlightOnHover data-testid="connections-table">
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
              {conns.isLoading ? (
                <TableSkeleton columns={columns.length} rows={3} />
              ) : (
                <Table.Tbody>
                  {conns.data?.map((c) => (
                    <Table.Tr
                      key={c.id}
                      className="clickable-row"
                      data-testid="connection-row"
                      data-connection-id={c.id}
                      data-name={c.name}
                      onClick={() => navigate(`/connections/${encodeURIComponent(c.id)}`)}
                    >
                      <Table.Td>
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
                      </Table.Td>
                      <Table.Td>
                        <TypeBadge type={c.type} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" className="mono" truncate maw={300} data-testid="connection-location">
                          {locationOf(c) || '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <LastTest c={c} now={now} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" className="tabular" data-testid="connection-jobs">
                          {c.jobs_count}
                        </Text>
                      </Table.Td>
                      {writer && (
                        <Table.Td ta="right" onClick={(e) => e.stopPropagation()}>
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
                        </Table.Td>
                      )}
                    </Table.Tr>
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
