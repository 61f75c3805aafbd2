import { Alert, Button, EmptyState, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { IconAlertCircle, IconLock, IconRefresh, type Icon } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { ApiError, errorMessage } from '../api/client';

const KIND_TITLES: Record<string, string> = {
  not_found: 'Not found',
  permission: 'No access',
  network: 'Cannot reach the server',
  transient: 'Temporarily unavailable',
  invalid: 'Request rejected',
  unauthenticated: 'Signed out',
};

/** A failed query, with its message and a retry button. */
export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const kind = error instanceof ApiError ? error.kind : 'internal';
  return (
    <Alert
      color={kind === 'permission' ? 'yellow' : kind === 'not_found' ? 'gray' : 'red'}
      variant="light"
      icon={kind === 'permission' ? <IconLock size={18} /> : <IconAlertCircle size={18} />}
      title={title ?? KIND_TITLES[kind] ?? 'Something went wrong'}
      data-testid="error-state"
      data-kind={kind}
    >
      <Stack gap="xs">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && kind !== 'not_found' && kind !== 'permission' && (
          <Group>
            <Button size="xs" variant="white" color="red" leftSection={<IconRefresh size={14} />} onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

/** An empty list: icon, one line of what is missing and what to do about it. */
export function Empty({
  icon: IconC,
  title,
  description,
  action,
  testId,
}: {
  icon: Icon;
  title: string;
  description?: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  return (
    <EmptyState
      py={48}
      icon={<IconC size={26} stroke={1.5} />}
      variant="light"
      title={title}
      description={description}
      data-testid={testId}
    >
      {action && <EmptyState.Actions>{action}</EmptyState.Actions>}
    </EmptyState>
  );
}

/** Placeholder rows while a table loads. */
export function TableSkeleton({ columns, rows = 5 }: { columns: number; rows?: number }) {
  return (
    <Table.Tbody data-testid="table-loading">
      {Array.from({ length: rows }, (_, r) => (
        <Table.Tr key={r}>
          {Array.from({ length: columns }, (_, c) => (
            <Table.Td key={c}>
              <Skeleton height={12} radius="sm" width={c === 0 ? '70%' : '50%'} />
            </Table.Td>
          ))}
        </Table.Tr>
      ))}
    </Table.Tbody>
  );
}
