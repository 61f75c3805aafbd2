import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';

export interface ConfirmDeleteProps<T> {
  /** What to delete; the dialog is open while it is set. */
  target: T | null;
  /** The dialog's title and the confirm button ("Delete job"). */
  title: string;
  /** What the delete removes and what stays, for the target. */
  message: (t: T) => ReactNode;
  /** The delete call. */
  onDelete: (t: T) => Promise<unknown>;
  /** Query keys (prefixes) refreshed once the delete is done. */
  invalidate: readonly (readonly unknown[])[];
  onClose: () => void;
  /** After a delete, before the dialog closes. */
  onDeleted?: (t: T) => void;
  /** Prefix of the test ids: `${testId}-modal`, `-confirm`, `-error`. */
  testId: string;
  /** The button that closes without acting (default "Cancel"; a run's cancel says "Keep running"). */
  closeLabel?: string;
}

/**
 * A delete behind a confirmation. The server's refusal (a 409: something still uses it) is shown
 * in place, with the dialog open; Cancel or closing forgets it.
 */
export function ConfirmDelete<T>({ target, title, message, onDelete, invalidate, onClose, onDeleted, testId, closeLabel = 'Cancel' }: ConfirmDeleteProps<T>) {
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: onDelete,
    onSuccess: () => {
      for (const queryKey of invalidate) void qc.invalidateQueries({ queryKey });
    },
  });
  const close = () => {
    del.reset();
    onClose();
  };
  return (
    <Modal opened={target !== null} onClose={close} title={title} data-testid={`${testId}-modal`}>
      {target !== null && (
        <Stack>
          <Text size="sm" component="div">
            {message(target)}
          </Text>
          {del.isError && (
            <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid={`${testId}-error`}>
              {errorMessage(del.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {closeLabel}
            </Button>
            <Button
              color="red"
              loading={del.isPending}
              data-testid={`${testId}-confirm`}
              onClick={() =>
                del.mutate(target, {
                  onSuccess: () => {
                    onDeleted?.(target);
                    close();
                  },
                })
              }
            >
              {title}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
