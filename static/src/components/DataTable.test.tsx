import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { fakeFetch } from '../test/fakeApi';
import { renderApp } from '../test/render';
import { DataTable, stopRowClick, type DataColumn } from './DataTable';

interface Fruit {
  id: string;
  name: string;
  count: number;
}

const FRUIT: Fruit[] = [
  { id: 'a', name: 'Apple', count: 3 },
  { id: 'b', name: 'Banana', count: 12 },
];

const columns: DataColumn<Fruit>[] = [
  { key: 'name', header: 'Name', cell: (f) => f.name },
  { key: 'count', header: 'Count', align: 'right', td: (f) => ({ 'data-testid': 'count', 'data-count': f.count }), cell: (f) => f.count },
  { key: 'actions', header: '', td: () => stopRowClick, cell: (f) => <button type="button">Edit {f.name}</button> },
];

function show(props: Partial<Parameters<typeof DataTable<Fruit>>[0]>) {
  const { fetch } = fakeFetch({});
  return renderApp({
    fetch,
    children: (
      <DataTable
        testId="fruit-table"
        columns={columns}
        rows={FRUIT}
        rowKey={(f) => f.id}
        rowProps={(f) => ({ 'data-testid': 'fruit-row', 'data-id': f.id })}
        {...props}
      />
    ),
  });
}

describe('DataTable', () => {
  it('renders headers, one row per item with its data attributes, and cells with their props', () => {
    show({});
    const table = screen.getByTestId('fruit-table');
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Name', 'Count', '']);
    const rows = screen.getAllByTestId('fruit-row');
    expect(rows.map((r) => r.getAttribute('data-id'))).toEqual(['a', 'b']);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0].textContent)).toEqual(['Apple', 'Banana']);
    expect(screen.getAllByTestId('count').map((c) => [c.getAttribute('data-count'), c.textContent])).toEqual([
      ['3', '3'],
      ['12', '12'],
    ]);
    expect(rows[0]).not.toHaveClass('clickable-row');
  });

  it('opens a row on click and on Enter, but not from a button inside it', async () => {
    const onOpen = vi.fn();
    show({ onOpen });
    const [apple, banana] = screen.getAllByTestId('fruit-row');
    expect(apple).toHaveClass('clickable-row');
    await userEvent.click(within(banana).getAllByRole('cell')[0]);
    apple.focus();
    await userEvent.keyboard('{Enter}');
    await userEvent.click(within(apple).getByRole('button', { name: 'Edit Apple' }));
    expect(onOpen.mock.calls.map(([f]) => (f as Fruit).id)).toEqual(['b', 'a']);
  });

  it('shows placeholder rows while loading, the empty state for no rows, and the error without rows', () => {
    const first = show({ rows: undefined, loading: true, skeletonRows: 4 });
    expect(within(screen.getByTestId('table-loading')).getAllByRole('row')).toHaveLength(4);
    first.unmount();

    const second = show({ rows: [], empty: <p data-testid="fruit-empty">No fruit yet</p> });
    expect(screen.getByTestId('fruit-empty')).toHaveTextContent('No fruit yet');
    expect(screen.queryByTestId('fruit-table')).toBeNull();
    second.unmount();

    const retry = vi.fn();
    show({ rows: undefined, error: new ApiError('transient', 'The store is busy.', 503), onRetry: retry });
    const err = screen.getByTestId('error-state');
    expect(err).toHaveAttribute('data-kind', 'transient');
    expect(err).toHaveTextContent('The store is busy.');
    expect(screen.queryByTestId('fruit-table')).toBeNull();
  });

  it('keeps showing the rows it has when a refresh fails', () => {
    show({ error: new ApiError('network', 'offline') });
    expect(screen.getAllByTestId('fruit-row')).toHaveLength(2);
    expect(screen.queryByTestId('error-state')).toBeNull();
  });
});
