import { ActionIcon, Alert, Badge, Group, MultiSelect, NativeSelect, Skeleton, Stack, Switch, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconAlertTriangle, IconArrowBackUp, IconCircleCheck, IconInfoCircle } from '@tabler/icons-react';
import { errorMessage } from '../../../api/client';
import type { ColumnOverride, Compatibility, DestinationColumn, DestinationRequest } from '../../../api/jobWizard';
import { queries, useConnections } from '../../../api/queries';
import type { ColumnType } from '../../../api/types';
import { useApi } from '../../../auth/AuthProvider';
import { errorFor, fieldError } from '../../../lib/fieldErrors';
import { newJobBody, type Draft } from '../JobEditor';
import { isBucket, useMatchingFiles } from '../JobSourceStep';

/** The most clustering columns a table may have (BigQuery's limit). */
const MAX_CLUSTER_BY = 4;

/** The draft's overrides with `source` changed to `p`; an entry equal to the defaults goes. */
export function withOverride(list: ColumnOverride[], col: DestinationColumn, p: { name?: string; type?: ColumnType }): ColumnOverride[] {
  const old = list.find((o) => o.source === col.source) ?? { source: col.source };
  const next = { ...old, ...p };
  const o: ColumnOverride = { source: col.source };
  if (next.name !== undefined && next.name !== col.default_name) o.name = next.name;
  if (next.type !== undefined && next.type !== col.default_type) o.type = next.type;
  const rest = list.filter((x) => x.source !== col.source);
  return o.name !== undefined || o.type !== undefined ? [...rest, o] : rest;
}

/** The file whose sample gives a file job its columns: the chosen one, else the newest match. */
function useSampleObject(d: Draft): { object: string; none: boolean } {
  const conns = useConnections();
  const conn = (conns.data ?? []).filter(isBucket).find((c) => c.id === d.file.connectionId);
  const { files, isLoading } = useMatchingFiles(d.kind === 'file' ? conn : undefined, d.file);
  if (d.kind !== 'file') return { object: '', none: false };
  const f = files.find((x) => x.key === d.file.sample) ?? files[0];
  return { object: f?.object ?? '', none: !isLoading && !f };
}

/** Step 4: the destination table and grid (names, types, lineage), its fit with an existing table, layout. */
export function DestinationStep({ draft: d, set, err, locked }: { draft: Draft; set: (p: Partial<Draft>) => void; err: unknown; locked: boolean }) {
  const api = useApi();
  const sample = useSampleObject(d);
  const req: DestinationRequest = { job: newJobBody(d), ...(sample.object ? { object: sample.object } : {}) };
  // Asked once typing pauses: a renamed column or table does not send a request per key.
  const [body] = useDebouncedValue(JSON.stringify(req), 400);
  const asked = JSON.parse(body) as DestinationRequest;
  const ready = d.kind === 'database' ? !!d.db.connectionId && !!d.db.table : !!sample.object;
  const dest = useQuery({ ...queries.jobDestination(api, asked), enabled: ready && (d.kind === 'database' || !!asked.object) });
  const data = dest.data;
  // An error about the grid from the preview or from saving, under the row or field it names.
  const gridErr = fieldError(err)?.field.startsWith('dest.') ? err : dest.error;
  const rowError = (col: DestinationColumn, what: 'name' | 'type') => {
    const i = d.destColumns.findIndex((o) => o.source === col.source);
    return i < 0 ? undefined : errorFor(gridErr, `dest.columns[${i}].${what}`);
  };
  const setCol = (col: DestinationColumn, p: { name?: string; type?: ColumnType }) => set({ destColumns: withOverride(d.destColumns, col, p) });
  const override = (col: DestinationColumn) => d.destColumns.find((o) => o.source === col.source);
  const cols = data?.columns ?? [];
  const candidates = data?.partition_candidates ?? [];
  const names = cols.map((c) => override(c)?.name ?? c.default_name);
  const previewFailed = dest.error && !fieldError(dest.error)?.field.startsWith('dest.');

  return (
    <Stack gap="md">
      <Group grow align="flex-start">
        <TextInput
          label="Dataset"
          description="Where the table is in the warehouse"
          value={d.dataset}
          disabled={locked}
          onChange={(e) => set({ dataset: e.currentTarget.value })}
          error={errorFor(err, 'dest.dataset', 'dataset')}
          classNames={{ input: 'mono' }}
          data-testid="job-dataset"
        />
        <TextInput
          label="Table"
          placeholder="From the job name"
          description="A new table, or an existing one to load into"
          value={d.table}
          disabled={locked}
          onChange={(e) => set({ table: e.currentTarget.value })}
          error={errorFor(err, 'dest.table', 'table')}
          classNames={{ input: 'mono' }}
          data-testid="job-table"
        />
      </Group>
      {locked && (
        <Text size="xs" c="dimmed">
          The destination and its columns are fixed once the job has run.
        </Text>
      )}
      {!ready && (
        <Alert color="gray" icon={<IconInfoCircle size={18} />} data-testid="job-dest-waiting">
          {d.kind === 'file'
            ? sample.none
              ? 'No file matches the pattern yet, so there is nothing to read the columns from: runs take the columns of the first file they load, with the sanitised names and detected types.'
              : 'Reading the files the pattern selects…'
            : 'Choose a table first: its columns appear here.'}
        </Alert>
      )}
      {previewFailed && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="job-dest-error">
          {errorMessage(dest.error)}
        </Alert>
      )}
      {ready && !data && dest.isFetching && <Skeleton h={160} />}
      {data && (
        <>
          {data.table_exists && <CompatibilityAlert c={data.compatibility} table={`${d.dataset || 'raw_data'}.${d.table || '…'}`} />}
          <Table striped withTableBorder verticalSpacing={4} fz="sm" data-testid="job-dest-grid" data-updating={dest.isFetching}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Source column</Table.Th>
                <Table.Th>Warehouse name</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Mode</Table.Th>
                <Table.Th w={40} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {cols.map((c) =>
                c.lineage ? (
                  <Table.Tr key={c.name} data-testid="dest-column" data-lineage="true" data-name={c.name}>
                    <Table.Td>
                      <Badge size="xs" variant="light" color="gray">
                        lineage
                      </Badge>
                    </Table.Td>
                    <Table.Td className="mono">{c.name}</Table.Td>
                    <Table.Td>{c.type}</Table.Td>
                    <Table.Td>{c.mode}</Table.Td>
                    <Table.Td />
                  </Table.Tr>
                ) : (
                  <Table.Tr key={c.source} data-testid="dest-column" data-source={c.source} data-name={override(c)?.name ?? c.default_name}>
                    <Table.Td className="mono">{c.source}</Table.Td>
                    <Table.Td>
                      <TextInput
                        size="xs"
                        aria-label={`Warehouse name of ${c.source}`}
                        disabled={locked}
                        value={override(c)?.name ?? c.default_name}
                        onChange={(e) => setCol(c, { name: e.currentTarget.value })}
                        error={rowError(c, 'name')}
                        classNames={{ input: 'mono' }}
                        data-testid="dest-name"
                      />
                    </Table.Td>
                    <Table.Td>
                      <NativeSelect
                        size="xs"
                        aria-label={`Type of ${c.source}`}
                        disabled={locked || (c.allowed_types ?? []).length < 2}
                        data={(c.allowed_types?.length ? c.allowed_types : [c.default_type]).map((t) => ({ value: t, label: t === c.default_type ? `${t} (${d.kind === 'database' ? 'source' : 'detected'})` : t }))}
                        value={override(c)?.type ?? c.default_type}
                        onChange={(e) => setCol(c, { type: e.currentTarget.value as ColumnType })}
                        error={rowError(c, 'type')}
                        data-testid="dest-type"
                      />
                    </Table.Td>
                    <Table.Td>{c.mode}</Table.Td>
                    <Table.Td>
                      {override(c) && !locked && (
                        <Tooltip label="Back to the default name and type">
                          <ActionIcon variant="subtle" size="sm" onClick={() => set({ destColumns: d.destColumns.filter((o) => o.source !== c.source) })} data-testid="dest-reset">
                            <IconArrowBackUp size={14} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ),
              )}
            </Table.Tbody>
          </Table>
          <Switch
            label="Lineage columns"
            description="_b2b_source_file and _b2b_loaded_at say where and when each row was loaded; _b2b_run_id is always kept (exactly-once loads need it)"
            disabled={locked}
            checked={d.lineage}
            onChange={(e) => set({ lineage: e.currentTarget.checked })}
            error={errorFor(err, 'dest.lineage') ?? errorFor(dest.error, 'dest.lineage')}
            data-testid="job-lineage"
          />
          <Stack gap={6}>
            <Group gap="xs">
              <Text size="sm" fw={500}>
                Table layout
              </Text>
              <Badge size="xs" variant="light" color={data.warehouse === 'bigquery' ? 'blue' : 'gray'} data-testid="job-warehouse">
                {data.warehouse === 'bigquery' ? 'BigQuery' : 'Local warehouse'}
              </Badge>
            </Group>
            <Group grow align="flex-start">
              <NativeSelect
                label="Partition by day on"
                disabled={locked}
                data={[{ value: '', label: candidates.length ? 'No partitioning' : 'No date or timestamp column' }, ...candidates.map((n) => ({ value: n, label: n }))]}
                value={d.partition}
                onChange={(e) => set({ partition: e.currentTarget.value })}
                error={errorFor(err, 'dest.partition', 'dest.partition.column')}
                data-testid="job-partition"
              />
              <MultiSelect
                label={`Cluster by (up to ${MAX_CLUSTER_BY})`}
                disabled={locked}
                data={names.filter(Boolean)}
                maxValues={MAX_CLUSTER_BY}
                value={d.clusterBy}
                onChange={(v) => set({ clusterBy: v })}
                error={errorFor(err, 'dest.cluster_by')}
                placeholder={d.clusterBy.length ? '' : 'No clustering'}
                data-testid="job-cluster-by"
              />
            </Group>
            <Text size="xs" c="dimmed" data-testid="job-layout-note">
              Partitioning and clustering apply in the cloud warehouse (BigQuery) when a load creates the table
              {data.warehouse === 'bigquery' ? '.' : '; this local warehouse keeps them on the job and ignores them.'}
            </Text>
          </Stack>
        </>
      )}
    </Stack>
  );
}

/** How the job's columns meet the existing table: added, missing and changed columns, said plainly. */
function CompatibilityAlert({ c, table }: { c: Compatibility; table: string }) {
  const added = c.added ?? [];
  const missing = c.missing ?? [];
  const changed = c.changed ?? [];
  const clean = !added.length && !missing.length && !changed.length;
  return (
    <Alert
      color={clean ? 'teal' : c.compatible ? 'yellow' : 'red'}
      icon={clean ? <IconCircleCheck size={18} /> : <IconAlertTriangle size={18} />}
      title={clean ? `${table} exists and matches these columns` : c.compatible ? `${table} exists: the columns differ` : `${table} exists and does not fit`}
      data-testid="job-compatibility"
      data-compatible={c.compatible}
    >
      <Stack gap={4}>
        {c.message && <Text size="sm">{c.message}</Text>}
        {added.length > 0 && (
          <Text size="sm" data-testid="compat-added">
            New columns the table lacks: <span className="mono">{added.join(', ')}</span>
          </Text>
        )}
        {missing.length > 0 && (
          <Text size="sm" data-testid="compat-missing">
            Table columns the source lacks (loaded empty): <span className="mono">{missing.join(', ')}</span>
          </Text>
        )}
        {changed.map((x) => (
          <Text size="sm" key={x.name} data-testid="compat-changed">
            <span className="mono">{x.name}</span>: {x.source_type} in the source, {x.table_type} in the table
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}
