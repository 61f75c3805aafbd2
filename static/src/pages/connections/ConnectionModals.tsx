import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft } from '@tabler/icons-react';
import { useState } from 'react';
import { keys } from '../../api/queries';
import { useApi } from '../../auth/AuthProvider';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import type { Connection, ConnectionType, SaveConnectionResponse } from '../../api/types';
import { ConnectionForm, TypePicker } from './ConnectionForm';
import { typeSpec } from './connectionTypes';

function announce(r: SaveConnectionResponse, created: boolean) {
  notifications.show({
    color: r.duplicate_of ? 'yellow' : 'green',
    title: created ? `Saved ${r.connection.name}` : `Updated ${r.connection.name}`,
    message: r.duplicate_of
      ? 'Another connection points at the same place: check it is not a duplicate.'
      : r.affected_jobs_count
        ? `${r.affected_jobs_count} job${r.affected_jobs_count === 1 ? '' : 's'} use this connection.`
        : r.test
          ? r.test.message
          : created
            ? 'Saved without a test: open it and press Test to check it.'
            : 'Changes saved.',
  });
}

/** "New connection": pick a type, then fill its fields. */
export function NewConnectionModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated?: (r: SaveConnectionResponse) => void }) {
  const [type, setType] = useState<ConnectionType | null>(null);
  const close = () => {
    setType(null);
    onClose();
  };
  return (
    <Modal
      opened={opened}
      onClose={close}
      size="xl"
      title={
        type ? (
          <Group gap="xs">
            <Button variant="subtle" size="compact-sm" leftSection={<IconArrowLeft size={14} />} onClick={() => setType(null)} data-testid="connection-type-back">
              Type
            </Button>
            <Text fw={600}>New {typeSpec(type).label} connection</Text>
          </Group>
        ) : (
          <Text fw={600}>New connection</Text>
        )
      }
      data-testid="connection-new-modal"
    >
      {opened &&
        (type ? (
          <ConnectionForm
            key={type}
            connection={null}
            type={type}
            onCancel={close}
            onSaved={(r) => {
              announce(r, true);
              onCreated?.(r);
              close();
            }}
          />
        ) : (
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              Where does the data live?
            </Text>
            <TypePicker onPick={setType} />
          </Stack>
        ))}
    </Modal>
  );
}

export function EditConnectionModal({ connection, onClose }: { connection: Connection | null; onClose: () => void }) {
  return (
    <Modal opened={connection !== null} onClose={onClose} size="xl" title={connection ? `Edit ${connection.name}` : ''} data-testid="connection-edit-modal">
      {connection && (
        <ConnectionForm
          key={connection.id}
          connection={connection}
          onCancel={onClose}
          onSaved={(r) => {
            announce(r, false);
            onClose();
          }}
        />
      )}
    </Modal>
  );
}

/** Confirms a delete; a 409 (jobs use it) is shown in place. */
export function DeleteConnectionModal({ connection, onClose, onDeleted }: { connection: Connection | null; onClose: () => void; onDeleted?: () => void }) {
  const api = useApi();
  return (
    <ConfirmDelete
      target={connection}
      title="Delete connection"
      testId="connection-delete"
      invalidate={[keys.connections]}
      onDelete={(c) => api.deleteConnection(c.id)}
      onClose={onClose}
      onDeleted={(c) => {
        notifications.show({ color: 'gray', title: `Deleted ${c.name}`, message: 'The connection and its secret are gone.' });
        onDeleted?.();
      }}
      message={(c) => (
        <Stack>
          <Text size="sm">
            Delete <b>{c.name}</b> and its stored credentials? This cannot be undone.
          </Text>
          {c.jobs_count > 0 && (
            <Text size="sm" c="dimmed">
              {c.jobs_count} job{c.jobs_count === 1 ? '' : 's'} use it: delete or move them first.
            </Text>
          )}
        </Stack>
      )}
    />
  );
}
