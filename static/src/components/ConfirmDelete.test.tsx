import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { fakeFetch } from '../test/fakeApi';
import { renderApp } from '../test/render';
import { ConfirmDelete } from './ConfirmDelete';

interface Thing {
  id: string;
  name: string;
}

function show(onDelete: (t: Thing) => Promise<unknown>, target: Thing | null = { id: 't1', name: 'Orders' }) {
  const onClose = vi.fn();
  const onDeleted = vi.fn();
  const { fetch } = fakeFetch({});
  const utils = renderApp({
    fetch,
    children: (
      <ConfirmDelete
        target={target}
        title="Delete thing"
        testId="thing-delete"
        invalidate={[['things']]}
        onDelete={onDelete}
        onClose={onClose}
        onDeleted={onDeleted}
        message={(t) => (
          <>
            Delete <b>{t.name}</b>? It cannot be undone.
          </>
        )}
      />
    ),
  });
  return { ...utils, onClose, onDeleted };
}

describe('ConfirmDelete', () => {
  it('says what is deleted, deletes on confirm, refreshes the named queries and closes', async () => {
    const onDelete = vi.fn(async (t: Thing) => t.id);
    const { onClose, onDeleted, queryClient } = show(onDelete);
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries');
    expect(await screen.findByTestId('thing-delete-modal')).toHaveTextContent('Delete Orders? It cannot be undone.');
    await userEvent.click(screen.getByTestId('thing-delete-confirm'));
    await waitFor(() => expect(onClose).toHaveBeenCalledTimes(1));
    expect(onDelete.mock.calls.map(([t]) => t)).toEqual([{ id: 't1', name: 'Orders' }]);
    expect(onDeleted.mock.calls).toEqual([[{ id: 't1', name: 'Orders' }]]);
    expect(invalidate.mock.calls.map(([f]) => f?.queryKey)).toEqual([['things']]);
  });

  it("shows the server's refusal in place and stays open", async () => {
    const onDelete = vi.fn(async () => {
      throw new ApiError('conflict', 'The job Orders has a run in progress: wait for it to end.', 409);
    });
    const { onClose, onDeleted } = show(onDelete);
    await userEvent.click(await screen.findByTestId('thing-delete-confirm'));
    expect(await screen.findByTestId('thing-delete-error')).toHaveTextContent('The job Orders has a run in progress: wait for it to end.');
    expect(onClose).not.toHaveBeenCalled();
    expect(onDeleted).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('is closed without a target', () => {
    show(vi.fn(), null);
    expect(screen.queryByTestId('thing-delete-confirm')).toBeNull();
    expect(screen.queryByText('Delete thing')).toBeNull();
  });
});
