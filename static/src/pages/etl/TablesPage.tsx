import { Card, Group, ScrollArea, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { IconSearch, IconTable } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { useTables } from '../../api/queries';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorState, TableSkeleton } from '../../components/States';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';

const DATASET = 'raw_data';

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
        {tables.isError && !tables.data ? (
          <Card.Section p="lg">
            <ErrorState error={tables.error} onRetry={() => void tables.refetch()} />
          </Card.Section>
        ) : tables.data && shown.length === 0 ? (
          <Empty
            icon={IconTable}
            testId="tables-empty"
            title={q ? 'No table matches' : 'No tables yet'}
            description={q ? 'Try another name.' : 'Tables appear here after the first successful load.'}
          />
        ) : (
          <ScrollArea type="auto">
            <Table miw={640} data-testid="tables-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th ta="right">Columns</Table.Th>
                  <Table.Th ta="right">Rows</Table.Th>
                  <Table.Th ta="right">Size</Table.Th>
                  <Table.Th>Modified</Table.Th>
                </Table.Tr>
              </Table.Thead>
              {tables.isLoading ? (
                <TableSkeleton columns={5} rows={4} />
              ) : (
                <Table.Tbody>
                  {shown.map((t) => {
                    const open = () => navigate(`/etl/tables/${encodeURIComponent(t.dataset)}/${encodeURIComponent(t.name)}`);
                    return (
                      <Table.Tr
                        key={`${t.dataset}.${t.name}`}
                        className="clickable-row"
                        tabIndex={0}
                        onClick={open}
                        onKeyDown={(e) => {
                          if (e.key === 'Enter') open();
                        }}
                        data-testid="table-row"
                        data-table-name={t.name}
                        data-dataset={t.dataset}
                        data-num-rows={t.num_rows}
                      >
                        <Table.Td>
                          <Group gap={8} wrap="nowrap">
                            <IconTable size={16} stroke={1.6} color="var(--mantine-color-brand-6)" />
                            <Text size="sm" fw={600}>
                              {t.name}
                            </Text>
                          </Group>
                        </Table.Td>
                        <Table.Td ta="right" className="tabular">
                          {formatCount(t.schema?.length ?? 0)}
                        </Table.Td>
                        <Table.Td ta="right" className="tabular">
                          {formatCount(t.num_rows)}
                        </Table.Td>
                        <Table.Td ta="right" className="tabular">
                          {formatBytes(t.num_bytes)}
                        </Table.Td>
                        <Table.Td>
                          <Tooltip label={formatDateTime(t.modified)} disabled={!t.modified}>
                            <Text size="sm">{formatRelative(t.modified, now)}</Text>
                          </Tooltip>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              )}
            </Table>
          </ScrollArea>
        )}
      </Card>
    </>
  );
}
