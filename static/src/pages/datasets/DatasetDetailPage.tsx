import {
  ActionIcon,
  Alert,
  Badge,
  Box,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  ScrollArea,
  SegmentedControl,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Tooltip,
} from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy, IconPencil, IconRefresh } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { datasetKeys, datasetQueries, datasetsApi, useDataset, type ColumnStats, type DatasetVersion, type Dialect } from '../../api/datasets';
import { useApi, useSession } from '../../auth/AuthProvider';
import { canWrite } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { ErrorState } from '../../components/States';
import { formatCell, formatCount, formatDateTime, formatRelative } from '../../lib/format';
import { useNow } from '../../lib/useNow';
import { experimentsText, tablesLabel } from './DatasetsPage';
import { diffLines, foldUnchanged, modelText } from './diff';
import { FilterSummary } from './FiltersStep';
import { roleLabel } from './model';
import { formatValue, PreviewTable, QualityPanel, ThresholdsTable } from './Panels';

function Loading<T>({ q, children }: { q: { data?: T; error: unknown; isError: boolean; refetch: () => unknown }; children: (d: T) => React.ReactNode }) {
  if (q.isError && q.data === undefined) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (q.data === undefined) return <Skeleton h={160} />;
  return <>{children(q.data)}</>;
}

const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.001 ? 2 : 1)}%`;
const numText = (v: unknown, type?: string) => (typeof v === 'number' ? (Number.isInteger(v) ? formatCount(v) : v.toFixed(2)) : formatValue(v, type));

/** The most frequent values of a column as small horizontal bars. */
function TopValues({ col }: { col: ColumnStats }) {
  const top = col.top ?? [];
  if (top.length === 0) return null;
  const max = Math.max(...top.map((t) => t.count), 1);
  return (
    <Stack gap={3} data-testid="top-values">
      {top.slice(0, 6).map((t) => (
        <Group key={String(t.value)} gap={6} wrap="nowrap">
          <Text size="xs" w={110} truncate c={t.value === null ? 'dimmed' : undefined} title={t.value ?? 'NULL'}>
            {t.value ?? 'NULL'}
          </Text>
          <Box style={{ flex: 1, height: 8, background: 'var(--mantine-color-gray-1)', borderRadius: 4 }}>
            <Box style={{ width: `${(t.count / max) * 100}%`, height: 8, background: 'var(--mantine-color-brand-4)', borderRadius: 4 }} />
          </Box>
          <Text size="xs" c="dimmed" w={56} ta="right" className="tabular">
            {formatCount(t.count)}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

function StatCard({ col, rows }: { col: ColumnStats; rows: number }) {
  const facts: [string, string][] = [
    ['Nulls', `${formatCount(col.nulls)} (${pct(col.null_share)})`],
    ['Distinct', formatCount(col.distinct)],
    ['Unique', pct(col.uniqueness)],
  ];
  if (col.min !== undefined) facts.push(['Min', numText(col.min, col.type)]);
  if (col.max !== undefined) facts.push(['Max', numText(col.max, col.type)]);
  if (col.mean !== undefined) facts.push(['Mean', numText(col.mean)]);
  if (col.p50 !== undefined) facts.push(['Quartiles', [col.p25, col.p50, col.p75].map((v) => numText(v)).join(' · ')]);
  return (
    <Card withBorder p="sm" data-testid="stat-card" data-column={col.name}>
      <Group justify="space-between" mb={6} wrap="nowrap">
        <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
          <Text fw={600} size="sm" truncate>
            {col.name}
          </Text>
          {col.role && (
            <Badge size="xs" variant="light">
              {roleLabel(col.role)}
            </Badge>
          )}
        </Group>
        <Text size="10px" ff="monospace" c="dimmed">
          {col.type}
        </Text>
      </Group>
      <Box style={{ height: 4, background: 'var(--mantine-color-gray-1)', borderRadius: 2 }} mb={8}>
        <Tooltip label={`${pct(rows ? col.count / rows : 0)} of rows have a value`}>
          <Box style={{ width: `${rows ? (col.count / rows) * 100 : 0}%`, height: 4, background: 'var(--mantine-color-teal-5)', borderRadius: 2 }} />
        </Tooltip>
      </Box>
      <SimpleGrid cols={2} spacing={4} verticalSpacing={2} mb={col.top?.length ? 8 : 0}>
        {facts.map(([k, v]) => (
          <Group key={k} gap={4} wrap="nowrap">
            <Text size="xs" c="dimmed">
              {k}
            </Text>
            <Text size="xs" fw={500} className="tabular" truncate>
              {v}
            </Text>
          </Group>
        ))}
      </SimpleGrid>
      <TopValues col={col} />
    </Card>
  );
}

function StatsTab({ id }: { id: string }) {
  const api = useApi();
  const qc = useQueryClient();
  const stats = useQuery(datasetQueries.stats(api, id));
  const [refreshing, setRefreshing] = useState(false);
  const refresh = async () => {
    setRefreshing(true);
    try {
      qc.setQueryData(datasetQueries.stats(api, id).queryKey, await datasetsApi.stats(api, id, true));
    } finally {
      setRefreshing(false);
    }
  };
  return (
    <Loading q={stats}>
      {(s) => (
        <Stack gap="sm">
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              Over all {formatCount(s.rows)} rows · computed {formatDateTime(s.computed_at)}
              {s.cached ? ' (cached until the tables change)' : ''}
            </Text>
            <Button size="compact-sm" variant="light" leftSection={<IconRefresh size={14} />} onClick={() => void refresh()} loading={refreshing} data-testid="stats-refresh">
              Refresh
            </Button>
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
            {s.columns.map((c) => (
              <StatCard key={c.name} col={c} rows={s.rows} />
            ))}
          </SimpleGrid>
        </Stack>
      )}
    </Loading>
  );
}

function SqlTab({ id, current }: { id: string; current: number }) {
  const api = useApi();
  const [dialect, setDialect] = useState<Dialect>('duckdb');
  const [training, setTraining] = useState(false);
  const [version, setVersion] = useState(current);
  const sql = useQuery(datasetQueries.sql(api, id, dialect, training, version));
  return (
    <Stack gap="sm">
      <Group gap="md">
        <SegmentedControl
          value={dialect}
          onChange={(v) => setDialect(v as Dialect)}
          data={[
            { value: 'duckdb', label: 'DuckDB (local)' },
            { value: 'bigquery', label: 'BigQuery' },
          ]}
          data-testid="sql-dialect"
        />
        <Switch label="Training query" checked={training} onChange={(e) => setTraining(e.currentTarget.checked)} data-testid="sql-training" />
        <Select
          size="xs"
          w={130}
          value={String(version)}
          onChange={(v) => v && setVersion(Number(v))}
          data={Array.from({ length: current }, (_, i) => ({ value: String(current - i), label: `Version ${current - i}` }))}
          aria-label="Version"
        />
      </Group>
      <Loading q={sql}>
        {(q) => (
          <Stack gap="xs">
            <Box pos="relative">
              <CopyButton value={q.sql}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? 'Copied' : 'Copy SQL'}>
                    <ActionIcon variant="default" onClick={copy} pos="absolute" top={8} right={8} style={{ zIndex: 1 }} aria-label="Copy SQL" data-testid="sql-copy">
                      {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
              <ScrollArea type="auto" mah={480}>
                <Code block data-testid="sql-text" style={{ fontSize: 12, whiteSpace: 'pre' }}>
                  {q.sql}
                </Code>
              </ScrollArea>
            </Box>
            {(q.params ?? []).length > 0 && (
              <Table withTableBorder fz="xs" maw={640}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Parameter</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>Value</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {(q.params ?? []).map((p) => (
                    <Table.Tr key={p.name}>
                      <Table.Td ff="monospace">@{p.name}</Table.Td>
                      <Table.Td>{p.type}</Table.Td>
                      <Table.Td ff="monospace">{formatCell(p.value)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Stack>
        )}
      </Loading>
    </Stack>
  );
}

function VersionDiff({ id, from, to }: { id: string; from: number; to: number }) {
  const api = useApi();
  const a = useQuery(datasetQueries.version(api, id, from));
  const b = useQuery(datasetQueries.version(api, id, to));
  if (!a.data || !b.data) return a.isError || b.isError ? <ErrorState error={a.error ?? b.error} /> : <Skeleton h={120} />;
  const lines = diffLines(modelText(a.data.model), modelText(b.data.model));
  const changed = lines.filter((l) => l.op !== ' ').length;
  return (
    <Stack gap={4}>
      <Text size="xs" c="dimmed">
        {changed === 0 ? 'The two models are the same.' : `${changed} changed lines from version ${from} to version ${to}.`}
      </Text>
      <ScrollArea type="auto" mah={460}>
        <Box component="pre" m={0} p="xs" fz={12} ff="monospace" bg="#fafbfd" style={{ border: '1px solid var(--app-border)', borderRadius: 6 }} data-testid="version-diff">
          {foldUnchanged(lines).map((l, i) =>
            'skip' in l ? (
              <div key={i} style={{ color: 'var(--mantine-color-dimmed)', fontStyle: 'italic' }}>
                {'  '}… {l.skip} unchanged {l.skip === 1 ? 'line' : 'lines'}
              </div>
            ) : (
              <div
                key={i}
                data-op={l.op}
                style={{
                  background: l.op === '+' ? 'var(--mantine-color-teal-0)' : l.op === '-' ? 'var(--mantine-color-red-0)' : undefined,
                  color: l.op === '+' ? 'var(--mantine-color-teal-9)' : l.op === '-' ? 'var(--mantine-color-red-9)' : undefined,
                }}
              >
                {l.op} {l.text}
              </div>
            ),
          )}
        </Box>
      </ScrollArea>
    </Stack>
  );
}

function VersionsTab({ id }: { id: string }) {
  const api = useApi();
  const now = useNow(30000);
  const versions = useQuery(datasetQueries.versions(api, id));
  const [pair, setPair] = useState<[number, number] | null>(null);
  return (
    <Loading q={versions}>
      {(vs: DatasetVersion[]) => {
        const [from, to] = pair ?? (vs.length > 1 ? [vs[1].version, vs[0].version] : [0, 0]);
        const options = vs.map((v) => ({ value: String(v.version), label: `Version ${v.version}` }));
        return (
          <Stack gap="md">
            <Table withTableBorder data-testid="versions-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Filters</Table.Th>
                  <Table.Th>Training query</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {vs.map((v) => (
                  <Table.Tr key={v.version} data-testid="version-row">
                    <Table.Td>
                      <Badge variant="light" color="gray">
                        v{v.version}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Tooltip label={formatDateTime(v.created_at)}>
                        <Text size="sm">{formatRelative(v.created_at, now)}</Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>{formatCount(v.model.filters?.length ?? 0)}</Table.Td>
                    <Table.Td>
                      <Text size="sm" c={v.sql.training_problem ? 'orange' : undefined}>
                        {v.sql.training_problem ?? 'Ready'}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {vs.length > 1 ? (
              <Card withBorder p="sm">
                <Group gap="sm" mb="sm">
                  <Text size="sm" fw={600}>
                    Compare
                  </Text>
                  <Select size="xs" w={130} data={options} value={String(from)} onChange={(v) => v && setPair([Number(v), to])} aria-label="From version" />
                  <Text size="sm">with</Text>
                  <Select size="xs" w={130} data={options} value={String(to)} onChange={(v) => v && setPair([from, Number(v)])} aria-label="To version" />
                </Group>
                <VersionDiff id={id} from={from} to={to} />
              </Card>
            ) : (
              <Text size="sm" c="dimmed">
                One version so far. Changes that alter the dataset's SQL make a new version; experiments keep the one they used.
              </Text>
            )}
          </Stack>
        );
      }}
    </Loading>
  );
}

function PreviewTab({ id }: { id: string }) {
  const api = useApi();
  const [seed, setSeed] = useState(1);
  const preview = useQuery(datasetQueries.preview(api, id, seed));
  return <Loading q={preview}>{(p) => <PreviewTable preview={p} onNewSample={() => setSeed((s) => s + 1)} loading={preview.isFetching} />}</Loading>;
}

function QualityTab({ id }: { id: string }) {
  const api = useApi();
  const quality = useQuery(datasetQueries.quality(api, id));
  return (
    <Loading q={quality}>
      {(r) => (
        <Group align="flex-start" gap="lg">
          <Card withBorder p="md" style={{ flex: 1, minWidth: 360 }}>
            <QualityPanel report={r} />
          </Card>
          <Stack gap={4} w={340}>
            <Text size="sm" fw={600}>
              Thresholds
            </Text>
            <Text size="xs" c="dimmed">
              The score starts at 100 and loses 30 per error and 10 per warning. The thresholds are deployment settings
              (B2B_DATASET_QUALITY_*).
            </Text>
            <ThresholdsTable report={r} />
          </Stack>
        </Group>
      )}
    </Loading>
  );
}

const TABS = ['overview', 'statistics', 'quality', 'preview', 'sql', 'versions'] as const;

export function DatasetDetailPage() {
  const { id = '' } = useParams();
  const ds = useDataset(id);
  const session = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? params.get('tab')! : 'overview';
  const qc = useQueryClient();

  if (ds.isError) return <ErrorState error={ds.error} onRetry={() => void ds.refetch()} />;
  const d = ds.data;
  return (
    <>
      <PageHeader
        crumbs={[{ label: 'Datasets', to: '/datasets' }, { label: d?.name ?? '…' }]}
        title={d?.name ?? <Skeleton h={28} w={240} />}
        badge={d && <Badge variant="light" color="gray" data-testid="dataset-version">v{d.version}</Badge>}
        description={d ? d.description || `From ${tablesLabel(d)}.` : undefined}
        actions={
          d &&
          canWrite(session.user.role) && (
            <Button variant="light" leftSection={<IconPencil size={16} />} onClick={() => navigate(`/datasets/${encodeURIComponent(id)}/edit`)} data-testid="dataset-edit">
              Edit
            </Button>
          )
        }
      />
      {d?.problem && (
        <Alert color="orange" icon={<IconAlertTriangle size={16} />} mb="md" title="This dataset no longer compiles">
          {d.problem}
        </Alert>
      )}
      <Tabs
        value={tab}
        onChange={(t) => {
          setParams(t && t !== 'overview' ? { tab: t } : {}, { replace: true });
          if (t === 'versions') void qc.invalidateQueries({ queryKey: datasetKeys.versions(id) });
        }}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="statistics">Statistics</Tabs.Tab>
          <Tabs.Tab value="quality" data-testid="tab-quality">
            Data quality
          </Tabs.Tab>
          <Tabs.Tab value="preview" data-testid="tab-preview">
            Preview
          </Tabs.Tab>
          <Tabs.Tab value="sql">SQL</Tabs.Tab>
          <Tabs.Tab value="versions">Versions</Tabs.Tab>
        </Tabs.List>
        {!d ? (
          <Skeleton h={200} />
        ) : (
          <>
            <Tabs.Panel value="overview">
              <Group align="flex-start" gap="md">
                <Card withBorder p={0} style={{ flex: 1, minWidth: 420 }}>
                  <Table data-testid="output-columns">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Column</Table.Th>
                        <Table.Th>Type</Table.Th>
                        <Table.Th>Role</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {(d.output_columns ?? []).map((c) => (
                        <Table.Tr key={c.name} data-testid="output-column" data-role={c.role ?? ''}>
                          <Table.Td fw={500}>{c.name}</Table.Td>
                          <Table.Td ff="monospace" fz="xs">
                            {c.type}
                          </Table.Td>
                          <Table.Td>{c.role ? <Badge variant="light">{roleLabel(c.role)}</Badge> : <Text size="sm" c="dimmed">—</Text>}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Card>
                <Stack w={400} gap="md">
                  <Card withBorder p="sm">
                    <Text fw={600} size="sm" mb="xs">
                      Filters
                    </Text>
                    <FilterSummary summary={d.filter_summary ?? []} />
                  </Card>
                  <Card withBorder p="sm">
                    <Text fw={600} size="sm" mb="xs">
                      Tables and joins
                    </Text>
                    <Stack gap={4}>
                      <Text size="sm">{tablesLabel(d)}</Text>
                      {(d.joins ?? []).map((j, i) => (
                        <Text key={i} size="xs" ff="monospace">
                          {j.type} join {j.left.table}.{j.left.column} = {j.right.table}.{j.right.column}
                        </Text>
                      ))}
                    </Stack>
                  </Card>
                  <Card withBorder p="sm">
                    <Text size="xs" c="dimmed">
                      Updated {formatDateTime(d.updated_at)} · used by {experimentsText(d.experiments_count)}
                    </Text>
                  </Card>
                </Stack>
              </Group>
            </Tabs.Panel>
            <Tabs.Panel value="statistics">
              <StatsTab id={id} />
            </Tabs.Panel>
            <Tabs.Panel value="quality">
              <QualityTab id={id} />
            </Tabs.Panel>
            <Tabs.Panel value="preview">
              <PreviewTab id={id} />
            </Tabs.Panel>
            <Tabs.Panel value="sql">
              <SqlTab id={id} current={d.version} />
            </Tabs.Panel>
            <Tabs.Panel value="versions">
              <VersionsTab id={id} />
            </Tabs.Panel>
          </>
        )}
      </Tabs>
    </>
  );
}
