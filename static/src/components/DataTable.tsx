import { Box, ScrollArea, Table, Text, type TableProps, type TableTdProps, type TableTrProps } from '@mantine/core';
import type { ReactNode } from 'react';
import { ErrorState, TableSkeleton } from './States';

/** data-* attributes (test ids, row facts) a row or cell carries. */
type DataAttributes = { [key: `data-${string}`]: string | number | boolean | undefined };

/** One column of a DataTable: its header and how a row fills its cell. */
export interface DataColumn<T> {
  /** Stable React key (the header may be empty, as for an actions column). */
  key: string;
  header: ReactNode;
  align?: 'left' | 'right';
  /** Fixed width of the column (the header cell's `w`). */
  width?: number | string;
  cell: (row: T) => ReactNode;
  /** Props of the row's cell: a test id, a style, a click handler. */
  td?: (row: T) => TableTdProps & DataAttributes;
}

export interface DataTableProps<T> {
  columns: DataColumn<T>[];
  /** The rows; undefined while nothing has loaded. */
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  /** Shows placeholder rows while `rows` is undefined. */
  loading?: boolean;
  /** A failed load: shown instead of the table while there are no rows. */
  error?: unknown;
  onRetry?: () => void;
  /** Shown instead of the table when `rows` is empty. */
  empty?: ReactNode;
  /** Makes rows clickable (and Enter-able): the row's page or drawer. */
  onOpen?: (row: T) => void;
  /** Props of each row: data-* attributes for tests and styling. */
  rowProps?: (row: T) => Omit<TableTrProps, 'onClick' | 'onKeyDown'> & DataAttributes;
  testId?: string;
  /** The width under which the table scrolls sideways. */
  minWidth?: number;
  skeletonRows?: number;
  /** Other props of the Mantine Table (stickyHeader, verticalSpacing, ...). */
  tableProps?: Omit<TableProps, 'miw' | 'children'>;
}

/**
 * The app's list table: uppercase column headers, placeholder rows while loading, the error or
 * the empty state in its place, clickable rows, and sideways scrolling on narrow screens.
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  loading,
  error,
  onRetry,
  empty,
  onOpen,
  rowProps,
  testId,
  minWidth,
  skeletonRows = 3,
  tableProps,
}: DataTableProps<T>) {
  if (error && !rows) {
    return (
      <Box p="lg">
        <ErrorState error={error} onRetry={onRetry} />
      </Box>
    );
  }
  if (rows && rows.length === 0 && empty) return <>{empty}</>;
  return (
    <ScrollArea type="auto">
      <Table miw={minWidth} data-testid={testId} {...tableProps}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c.key} ta={c.align} w={c.width} style={{ whiteSpace: 'nowrap' }}>
                <Text size="xs" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: '0.04em' }}>
                  {c.header}
                </Text>
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        {!rows ? (
          loading !== false && <TableSkeleton columns={columns.length} rows={skeletonRows} />
        ) : (
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr
                key={rowKey(row)}
                {...rowProps?.(row)}
                {...(onOpen && {
                  className: 'clickable-row',
                  tabIndex: 0,
                  onClick: () => onOpen(row),
                  onKeyDown: (e: React.KeyboardEvent) => {
                    if (e.key === 'Enter' && e.target === e.currentTarget) onOpen(row);
                  },
                })}
              >
                {columns.map((c) => (
                  <Table.Td key={c.key} ta={c.align} {...c.td?.(row)}>
                    {c.cell(row)}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        )}
      </Table>
    </ScrollArea>
  );
}

/** Cell props that keep a click inside the cell (menus and buttons in a clickable row). */
export const stopRowClick = { onClick: (e: React.MouseEvent) => e.stopPropagation() };
