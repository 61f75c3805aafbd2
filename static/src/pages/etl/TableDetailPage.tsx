import { Badge, Card, Grid, Group, ScrollArea, SimpleGrid, Skeleton, Table, Text } from '@mantine/core';
import { IconTableOff } from '@tabler/icons-react';
import { useParams } from 'react-router';
import { useTable } from '../../api/queries';
import type { Column } from '../../api/types';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorState } from '../../components/States';
import { formatBytes, formatCell, formatCount, formatDateTime } from '../../lib/format';

const TYPE_COLORS: Record<string, string> = {
  STRING: 'blue',
  INT64: 'teal',
  FLOAT64: 'teal',
  NUMERIC: 'teal',
  BOOL: 'grape',
  DATE: 'orange',
  TIMESTAMP: 'orange',
  DATETIME: 'orange',
  TIME: 'orange',
  JSON: 'gray',
  BYTES: 'gray',
};

export function TableDetailPage() {
  const { dataset = '', name = '' } = useParams();
  const q = useTable(dataset, name);
  const crumbs = [{ label: 'ETL' }, { label: 'Tables', to: '/etl/tables' }, { label: name }];

  if (q.isError && !q.data) {
    return (
      <>
        <PageHeader crumbs={crumbs} title={name} />
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      </>
    );
  }
  if (!q.data) {
    return (
      <>
        <PageHeader crumbs={crumbs} title={name} description={`${dataset}.${name}`} />
        <Skeleton height={80} radius="md" mb="md" />
        <Skeleton height={320} radius="md" />
      </>
    );
  }

  const { table, preview } = q.data;
  const schema = table.schema ?? [];
  const columns: Column[] = preview?.columns?.length ? preview.columns : schema;
  const rows = preview?.rows ?? [];

  return (
    <>
      <PageHeader
        crumbs={crumbs}
        title={<span data-testid="table-title">{table.name}</span>}
        description={
          <Text span className="mono" size="sm">
            {table.dataset}.{table.name}
          </Text>
        }
      />
      <SimpleGrid cols={{ base: 2, md: 4 }} mb="lg">
        <Fact label="Rows" value={formatCount(table.num_rows)} />
        <Fact label="Size" value={formatBytes(table.num_bytes)} />
        <Fact label="Columns" value={formatCount(schema.length)} />
        <Fact label="Modified" value={formatDateTime(table.modified)} small />
      </SimpleGrid>

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card p={0}>
            <Text fw={600} px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
              Schema
            </Text>
            <ScrollArea.Autosize mah={560} type="auto">
              <Table data-testid="schema-table" verticalSpacing={6}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Column</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>Nullable</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {schema.map((c) => (
                    <Table.Tr key={c.name} data-testid="schema-row" data-column-name={c.name} data-column-type={c.type}>
                      <Table.Td>
                        <Text size="sm" className="mono" fw={500}>
                          {c.name}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge size="sm" color={TYPE_COLORS[c.type] ?? 'gray'} variant="light" tt="uppercase" ff="monospace">
                          {c.type}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c={c.nullable ? 'dimmed' : undefined}>
                          {c.nullable ? 'Yes' : 'Required'}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea.Autosize>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Card p={0}>
            <Group justify="space-between" px="lg" py="sm" style={{ borderBottom: '1px solid var(--app-border)' }}>
              <Text fw={600}>Preview</Text>
              <Text size="sm" c="dimmed">
                first {formatCount(rows.length)} rows
              </Text>
            </Group>
            {rows.length === 0 ? (
              <Empty icon={IconTableOff} title="No rows" description="This table is empty." testId="preview-empty" />
            ) : (
              <ScrollArea type="auto" mah={560}>
                <Table data-testid="preview-table" className="preview-table" verticalSpacing={6} fz="sm" striped withColumnBorders>
                  <Table.Thead>
                    <Table.Tr>
                      {columns.map((c) => (
                        <Table.Th key={c.name} className="mono">
                          {c.name}
                        </Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((row, i) => (
                      <Table.Tr key={i} data-testid="preview-row">
                        {columns.map((c, j) => {
                          const v = row[j];
                          const isNull = v === null || v === undefined;
                          return (
                            <Table.Td key={c.name} c={isNull ? 'dimmed' : undefined} fs={isNull ? 'italic' : undefined} title={formatCell(v)}>
                              {formatCell(v)}
                            </Table.Td>
                          );
                        })}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea>
            )}
          </Card>
        </Grid.Col>
      </Grid>
    </>
  );
}

function Fact({ label, value, small }: { label: string; value: string; small?: boolean }) {
  return (
    <Card padding="md">
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz={small ? 15 : 20} fw={650} className="tabular" mt={small ? 6 : 2}>
        {value}
      </Text>
    </Card>
  );
}
