import { Card, Group, Text, TextInput, Tooltip } from '@mantine/core';
import { IconSearch, IconTable } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { useTables } from '../../api/queries';
import { PageHeader } from '../../components/PageHeader';
import type { Table } from '../../api/types';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { Empty } from '../../components/States';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';

const DATASET = 'raw_data';

/** The columns of the tables list; `now` dates the modification times. */
function tableColumns(now: number): DataColumn<Table>[] {
  return [
    {
      key: 'name',
      header: 'Name',
      cell: (t) => (
        <Group gap={8} wrap="nowrap">
          <IconTable size={16} stroke={1.6} color="var(--mantine-color-brand-6)" />
          <Text size="sm" fw={600}>
            {t.name}
          </Text>
        </Group>
      ),
    },
    { key: 'columns', header: 'Columns', align: 'right', td: () => ({ className: 'tabular' }), cell: (t) => formatCount(t.schema?.length ?? 0) },
    { key: 'rows', header: 'Rows', align: 'right', td: () => ({ className: 'tabular' }), cell: (t) => formatCount(t.num_rows) },
    { key: 'size', header: 'Size', align: 'right', td: () => ({ className: 'tabular' }), cell: (t) => formatBytes(t.num_bytes) },
    {
      key: 'modified',
      header: 'Modified',
      cell: (t) => (
        <Tooltip label={formatDateTime(t.modified)} disabled={!t.modified}>
          <Text size="sm">{formatRelative(t.modified, now)}</Text>
        </Tooltip>
      ),
    },
  ];
}

export function TablesPage() {
  const tables = useTables(DATASET);
  const navigate = useNavigate();
  const now = useNow(30000);
  const [q, setQ] = useState('');
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const list = [...(tables.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    return needle ? list.filter((t) => t.name.toLowerCase().includes(needle)) : list;
  }, [tables.data, q]);

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'ETL' }, { label: 'Tables' }]}
        title="Tables"
        description={
          <>
            Warehouse tables in the <code>{DATASET}</code> dataset, as loaded by your jobs.
          </>
        }
      />
      <Card p={0}>
        <Group justify="space-between" px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
          <Text fw={600}>
            {tables.data ? `${tables.data.length} ${tables.data.length === 1 ? 'table' : 'tables'}` : 'Tables'}
          </Text>
          <TextInput
            size="xs"
            placeholder="Filter tables"
            leftSection={<IconSearch size={14} />}
            value={q}
            onChange={(e) => setQ(e.currentTarget.value)}
            w={220}
            aria-label="Filter tables"
          />
        </Group>
        <DataTable
          testId="tables-table"
          minWidth={640}
          skeletonRows={4}
          columns={tableColumns(now)}
          rows={tables.data ? shown : undefined}
          rowKey={(t) => `${t.dataset}.${t.name}`}
          loading={tables.isLoading}
          error={tables.error}
          onRetry={() => void tables.refetch()}
          onOpen={(t) => navigate(`/etl/tables/${encodeURIComponent(t.dataset)}/${encodeURIComponent(t.name)}`)}
          rowProps={(t) => ({ 'data-testid': 'table-row', 'data-table-name': t.name, 'data-dataset': t.dataset, 'data-num-rows': t.num_rows })}
          empty={
            <Empty
              icon={IconTable}
              testId="tables-empty"
              title={q ? 'No table matches' : 'No tables yet'}
              description={q ? 'Try another name.' : 'Tables appear here after the first successful load.'}
            />
          }
        />
      </Card>
    </>
  );
}
