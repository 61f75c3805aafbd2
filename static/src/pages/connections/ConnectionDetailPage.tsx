import {
  Alert,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  NativeSelect,
  ScrollArea,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconFile, IconKey, IconPencil, IconPlugConnected, IconStar, IconTable, IconTrash } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { keys, queries, useConnection } from '../../api/queries';
import type { Connection, SourceColumn, SourceFile, TestResult } from '../../api/types';
import { useApi, useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { Empty, ErrorState, TableSkeleton } from '../../components/States';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { DeleteConnectionModal, EditConnectionModal } from './ConnectionModals';
import { DuplicateWarning, TestResultView } from './ConnectionForm';
import { LastTest } from './ConnectionsPage';
import { DATABASE_WORDS, TypeBadge, typeSpec, type BrowseWords } from './connectionTypes';

/**
 * The columns of a source table's description; `timestampColumn` is starred; `presence` adds the
 * share of sampled documents that have each field (Firestore).
 */
function sourceColumns(timestampColumn: string | undefined, presence: boolean): DataColumn<SourceColumn>[] {
  const mono = (text: string, dim = false) => (
    <Text size="sm" className="mono" c={dim ? 'dimmed' : undefined}>
      {text}
    </Text>
  );
  const cols: DataColumn<SourceColumn>[] = [
    {
      key: 'name',
      header: 'Column',
      cell: (col) => (
        <Group gap={4} wrap="nowrap">
          <Text size="sm" className="mono" fw={600}>
            {col.name}
          </Text>
          {timestampColumn === col.original_name && <IconStar size={12} color="var(--mantine-color-yellow-6)" />}
        </Group>
      ),
    },
    { key: 'source-name', header: 'Source name', cell: (col) => mono(col.original_name, !col.name_changed) },
    { key: 'source-type', header: 'Source type', cell: (col) => mono(col.source_type) },
    {
      key: 'type',
      header: 'Type',
      cell: (col) => (
        <Tooltip label={col.warning} disabled={!col.warning} multiline maw={300}>
          <Badge size="sm" variant="light" color={col.warning ? 'yellow' : col.confidence === 'medium' ? 'gray' : 'brand'} tt="none">
            {col.type}
          </Badge>
        </Tooltip>
      ),
    },
    { key: 'nullable', header: 'Nullable', cell: (col) => <Text size="sm">{col.nullable ? 'yes' : 'no'}</Text> },
    {
      key: 'key',
      header: 'Key',
      cell: (col) =>
        col.primary_key && (
          <Badge size="xs" color="violet" variant="light">
            PK
          </Badge>
        ),
    },
    {
      key: 'samples',
      header: 'Samples',
      cell: (col) => (
        <Text size="xs" className="mono" c="dimmed" truncate maw={260}>
          {(col.samples ?? []).join(', ')}
        </Text>
      ),
    },
  ];
  if (presence) {
    cols.splice(4, 0, {
      key: 'presence',
      header: 'Present in',
      align: 'right',
      td: () => ({ className: 'tabular', 'data-testid': 'source-presence' }),
      cell: (col) => (col.presence === undefined ? '—' : `${Math.round(col.presence * 100)}%`),
    });
  }
  return cols;
}

const FILE_COLUMNS: DataColumn<SourceFile>[] = [
  {
    key: 'name',
    header: 'Name',
    cell: (f) => (
      <Text size="sm" className="mono" fw={600}>
        {f.name}
      </Text>
    ),
  },
  {
    key: 'path',
    header: 'Path',
    cell: (f) => (
      <Text size="xs" className="mono" c="dimmed" truncate maw={360}>
        {f.key}
      </Text>
    ),
  },
  {
    key: 'size',
    header: 'Size',
    cell: (f) => (
      <Text size="sm" className="tabular">
        {formatBytes(f.size)}
      </Text>
    ),
  },
  { key: 'modified', header: 'Modified', cell: (f) => <Text size="sm">{formatDateTime(f.last_modified)}</Text> },
];

export function ConnectionDetailPage() {
  const { id = '' } = useParams();
  const conn = useConnection(id);
  const api = useApi();
  const qc = useQueryClient();
  const session = useSession();
  const writer = canWrite(session.user.role);
  const navigate = useNavigate();
  const now = useNow(15000);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [test, setTest] = useState<{ result?: TestResult; error?: unknown; running: boolean } | null>(null);
  const c = conn.data;

  if (conn.isError && !c) {
    return (
      <>
        <PageHeader crumbs={[{ label: 'Connections', to: '/connections' }]} title="Connection" />
        <ErrorState error={conn.error} onRetry={() => void conn.refetch()} />
      </>
    );
  }
  if (!c) {
    return <PageHeader crumbs={[{ label: 'Connections', to: '/connections' }]} title="Loading…" />;
  }
  const spec = typeSpec(c.type);

  const runTest = async () => {
    setTest({ running: true });
    try {
      const result = await api.testConnection(c.id);
      setTest({ result, running: false });
    } catch (error) {
      setTest({ error, running: false });
    }
    void qc.invalidateQueries({ queryKey: keys.connections });
  };

  return (
    <>
      <PageHeader
        crumbs={[{ label: 'Connections', to: '/connections' }, { label: c.name }]}
        title={c.name}
        badge={<TypeBadge type={c.type} />}
        description={c.description || spec.blurb}
        actions={
          writer && (
            <>
              <Button variant="light" leftSection={<IconPlugConnected size={16} />} loading={test?.running} onClick={() => void runTest()} data-testid="connection-detail-test">
                Test
              </Button>
              <Button variant="default" leftSection={<IconPencil size={16} />} onClick={() => setEditing(true)} data-testid="connection-detail-edit">
                Edit
              </Button>
              <Button variant="default" color="red" leftSection={<IconTrash size={16} />} onClick={() => setDeleting(true)} data-testid="connection-detail-delete">
                Delete
              </Button>
            </>
          )
        }
      />
      <EditConnectionModal connection={editing ? c : null} onClose={() => setEditing(false)} />
      <DeleteConnectionModal connection={deleting ? c : null} onClose={() => setDeleting(false)} onDeleted={() => navigate('/connections')} />
      <Stack gap="lg">
        {test?.result && <TestResultView result={test.result} />}
        {test?.result?.duplicate_of && test.result.duplicate_of !== c.id && <DuplicateWarning id={test.result.duplicate_of} />}
        {test?.error !== undefined && <ErrorState error={test.error} title="The test could not run" />}
        <Details c={c} now={now} />
        {spec.notice && (
          <Alert color="blue" variant="light" data-testid="connection-notice">
            {spec.notice}
          </Alert>
        )}
        {spec.kind !== 'bucket' && <DatabaseBrowser c={c} words={spec.words ?? DATABASE_WORDS} />}
        {spec.kind === 'bucket' && <FileBrowser c={c} />}
      </Stack>
    </>
  );
}

function Details({ c, now }: { c: Connection; now: number }) {
  const spec = typeSpec(c.type);
  const items: [string, React.ReactNode][] = spec.fields
    .map((f) => [f.label, c[f.key as keyof Connection]] as [string, unknown])
    .filter(([, v]) => v !== undefined && v !== '' && v !== 0)
    .map(([k, v]) => [k, <Text key={k} size="sm" className="mono">{String(v)}</Text>]);
  for (const s of spec.secrets) {
    const set = (c.secret_fields ?? []).includes(s.key);
    items.push([
      s.label,
      <Group key={s.key} gap={4}>
        <IconKey size={14} />
        <Badge size="sm" variant="light" color={set ? 'green' : 'gray'} data-testid={`detail-secret-${s.key}`}>
          {set ? 'set' : 'not set'}
        </Badge>
      </Group>,
    ]);
  }
  items.push(['Last test', <LastTest key="lt" c={c} now={now} />]);
  items.push(['Jobs using it', <Text key="jobs" size="sm">{c.jobs_count}</Text>]);
  items.push(['Last used', <Text key="used" size="sm">{c.last_used_at ? formatRelative(c.last_used_at, now) : 'Never'}</Text>]);
  items.push(['Updated', <Text key="upd" size="sm">{formatDateTime(c.updated_at)}</Text>]);
  return (
    <Card data-testid="connection-details">
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="md" verticalSpacing="sm">
        {items.map(([k, v]) => (
          <Stack key={k} gap={2}>
            <Text size="xs" c="dimmed" fw={600} tt="uppercase">
              {k}
            </Text>
            {v}
          </Stack>
        ))}
      </SimpleGrid>
      {c.last_test_status === 'failed' && c.last_test_message && (
        <Text size="xs" c="red" mt="sm">
          Last test: {c.last_test_message}
        </Text>
      )}
    </Card>
  );
}

function DatabaseBrowser({ c, words }: { c: Connection; words: BrowseWords }) {
  const api = useApi();
  const [schema, setSchema] = useState<string | null>(null);
  const [table, setTable] = useState<string | null>(null);
  const schemas = useQuery(queries.sourceSchemas(api, c.id));
  const current = schema ?? (c.schema && schemas.data?.includes(c.schema) ? c.schema : (schemas.data?.[0] ?? c.schema ?? ''));
  const tables = useQuery({ ...queries.sourceTables(api, c.id, current), enabled: schemas.isSuccess });

  if (schemas.isError) {
    return (
      <Card>
        <ErrorState error={schemas.error} title={`Cannot browse this ${typeSpec(c.type).label} connection`} onRetry={() => void schemas.refetch()} />
      </Card>
    );
  }
  return (
    <Grid gap="lg">
      <Grid.Col span={{ base: 12, md: 4 }}>
        <Card p={0} data-testid="source-tables">
          <Group p="md" justify="space-between" wrap="nowrap">
            <Title order={4}>{words.tables}</Title>
            <NativeSelect
              size="xs"
              aria-label={words.schema}
              data={(schemas.data ?? [current]).filter(Boolean)}
              value={current}
              onChange={(e) => {
                setSchema(e.currentTarget.value);
                setTable(null);
              }}
              data-testid="source-schema"
            />
          </Group>
          <ScrollArea.Autosize mah={520}>
            <Table highlightOnHover>
              {tables.isLoading || schemas.isLoading ? (
                <TableSkeleton columns={2} rows={4} />
              ) : tables.isError ? (
                <Table.Tbody>
                  <Table.Tr>
                    <Table.Td>
                      <ErrorState error={tables.error} />
                    </Table.Td>
                  </Table.Tr>
                </Table.Tbody>
              ) : (tables.data ?? []).length === 0 ? (
                <Table.Tbody>
                  <Table.Tr>
                    <Table.Td>
                      <Text size="sm" c="dimmed" p="sm">
                        No {words.tables.toLowerCase()} in {current || `this ${words.schema.toLowerCase()}`}.
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                </Table.Tbody>
              ) : (
                <Table.Tbody>
                  {tables.data?.map((t) => (
                    <Table.Tr
                      key={t.name}
                      className="clickable-row"
                      bg={t.name === table ? 'var(--mantine-color-brand-0)' : undefined}
                      onClick={() => setTable(t.name)}
                      data-testid="source-table-row"
                      data-name={t.name}
                    >
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <IconTable size={14} color="var(--mantine-color-gray-6)" />
                          <Text size="sm" className="mono">
                            {t.name}
                          </Text>
                        </Group>
                      </Table.Td>
                      <Table.Td ta="right">
                        <Text size="xs" c="dimmed" className="tabular">
                          {t.rows === undefined ? '' : `${t.rows_exact ? '' : '~'}${formatCount(t.rows)} ${words.rows}`}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              )}
            </Table>
          </ScrollArea.Autosize>
        </Card>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>
        {table ? (
          <TableColumns c={c} schema={current} table={table} rowsWord={words.rows} />
        ) : (
          <Card>
            <Empty icon={IconTable} title="Pick a table" description="Its columns, types, keys and sample values show here." />
          </Card>
        )}
      </Grid.Col>
    </Grid>
  );
}

function TableColumns({ c, schema, table, rowsWord }: { c: Connection; schema: string; table: string; rowsWord: string }) {
  const api = useApi();
  const meta = useQuery(queries.sourceTable(api, c.id, schema, table));
  const rec = meta.data?.recommended;
  return (
    <Card p={0} data-testid="source-columns">
      <Stack p="md" gap={4}>
        <Group justify="space-between">
          <Title order={4} className="mono">
            {schema}.{table}
          </Title>
          {meta.data?.total_rows !== undefined && (
            <Text size="sm" c="dimmed">
              {meta.data.rows_exact ? '' : '~'}
              {formatCount(meta.data.total_rows)} {rowsWord}
            </Text>
          )}
        </Group>
        {rec?.timestamp_column && (
          <Text size="sm" data-testid="source-recommended-ts">
            <IconStar size={14} style={{ verticalAlign: -2 }} color="var(--mantine-color-yellow-6)" /> Timestamp column for incremental loads:{' '}
            <b className="mono">{rec.timestamp_column}</b>
            {rec.timestamp_reason && (
              <Text span size="xs" c="dimmed">
                {' '}
                — {rec.timestamp_reason}
              </Text>
            )}
          </Text>
        )}
      </Stack>
      <DataTable
        minWidth={820}
        skeletonRows={5}
        columns={sourceColumns(rec?.timestamp_column, (meta.data?.columns ?? []).some((col) => col.presence !== undefined))}
        rows={meta.data ? (meta.data.columns ?? []) : undefined}
        rowKey={(col) => col.original_name}
        loading={meta.isLoading}
        error={meta.error}
        onRetry={() => void meta.refetch()}
        rowProps={(col) => ({ 'data-testid': 'source-column', 'data-name': col.name })}
      />
    </Card>
  );
}

function FileBrowser({ c }: { c: Connection }) {
  const api = useApi();
  const [prefix, setPrefix] = useState('');
  const [pattern, setPattern] = useState('');
  const [q] = useDebouncedValue({ prefix, pattern }, 300);
  const files = useQuery(queries.sourceFiles(api, c.id, q.prefix, q.pattern));
  return (
    <Card p={0} data-testid="source-files">
      <Group p="md" align="flex-end" gap="sm">
        <Title order={4} mr="auto">
          Files
        </Title>
        <TextInput size="xs" label="Folder" placeholder="2026/" classNames={{ input: 'mono' }} value={prefix} onChange={(e) => setPrefix(e.currentTarget.value)} data-testid="source-files-prefix" />
        <TextInput size="xs" label="Pattern" placeholder="orders_*.csv" classNames={{ input: 'mono' }} value={pattern} onChange={(e) => setPattern(e.currentTarget.value)} data-testid="source-files-pattern" />
      </Group>
      <DataTable
        minWidth={640}
        skeletonRows={4}
        columns={FILE_COLUMNS}
        rows={files.data}
        rowKey={(f) => f.key}
        loading={files.isLoading}
        error={files.error}
        onRetry={() => void files.refetch()}
        rowProps={() => ({ 'data-testid': 'source-file' })}
        empty={<Empty icon={IconFile} title="No files match" description={c.prefix ? `Looked under ${c.prefix}${q.prefix}` : 'Try another folder or pattern.'} />}
      />
    </Card>
  );
}
