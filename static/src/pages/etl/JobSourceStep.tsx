import { Alert, Badge, Button, Group, Modal, NativeSelect, Paper, Radio, Stack, Switch, Text, TextInput, ThemeIcon } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconAlertCircle, IconCheck, IconMinus } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useApi } from '../../auth/AuthProvider';
import { errorMessage } from '../../api/client';
import { queries, useConnections, useJobMutation } from '../../api/queries';
import type { Connection, DetectedColumn, DetectRequest, FileMode, JobView, SourceColumn } from '../../api/types';
import { formatBytes, formatDateTime } from '../../lib/format';
import { DataTable, type DataColumn } from '../../components/DataTable';
import { errorFor } from '../../lib/fieldErrors';
import { DATABASE_WORDS, typeSpec } from '../connections/connectionTypes';

/** Where a file job's files are: the drop folder ('') or a saved bucket connection. */
export interface FileSourceDraft {
  connectionId: string;
  prefix: string;
  subfolders: boolean;
  mode: FileMode;
  pattern: string;
  /** csv, jsonl, json, parquet or '' (from the extension). */
  format: string;
  /** Read options shared by schema detection and the job's loads; '' detects. */
  delimiter: string;
  header: '' | 'yes' | 'no';
  encoding: string;
  /** The file (its full key, or a drop folder file's name) detection and the destination grid read; '' the newest match. */
  sample: string;
}

/** The read options of a draft as the API names them: `has_header` on a job, `header` on a detection. */
export function readOptions(f: FileSourceDraft): { delimiter?: string; header?: boolean; encoding?: string } {
  return {
    ...(f.delimiter ? { delimiter: f.delimiter } : {}),
    ...(f.header ? { header: f.header === 'yes' } : {}),
    ...(f.encoding ? { encoding: f.encoding } : {}),
  };
}

/** A database job's source (Firestore and BigQuery included). */
export interface DatabaseDraft {
  connectionId: string;
  /** The connection's type, sent as the job's source_type. */
  sourceType: string;
  schema: string;
  table: string;
  timestampColumn: string;
  /** YYYY-MM-DD or '' (used when backfill is 'date'). */
  historicalStart: string;
  /** Where the first run starts: the last 30, 60 or 90 days, all rows, or historicalStart. */
  backfill: Backfill;
  lookbackMinutes: string;
}

export type Backfill = '30' | '60' | '90' | 'all' | 'date';

export const FILE_MODES: { value: FileMode; label: string; sentence: string }[] = [
  {
    value: 'all',
    label: 'Every new or changed file',
    sentence: 'Each run loads the files it has not loaded yet, and a file again when its content changed. Rows add up in the table (or merge on the keys).',
  },
  {
    value: 'latest',
    label: 'Latest file only',
    sentence: 'Each run loads only the newest matching file, which replaces the whole table: the table is always one snapshot. The load mode is Replace.',
  },
];

const FORMATS = [
  { value: '', label: 'From the file extension' },
  { value: 'csv', label: 'CSV' },
  { value: 'jsonl', label: 'JSON Lines' },
  { value: 'json', label: 'JSON' },
  { value: 'parquet', label: 'Parquet' },
];

export const isBucket = (c: Connection) => typeSpec(c.type).kind === 'bucket';

type Set<T> = (p: Partial<T>) => void;

/** Step 2 of a file job: the folder, pattern, format, subfolders and mode, the files they select and schema detection. */
export function FileSourceFields({ value: f, set, err, fixed }: { value: FileSourceDraft; set: Set<FileSourceDraft>; err: unknown; fixed: boolean }) {
  const conns = useConnections();
  const conn = (conns.data ?? []).filter(isBucket).find((c) => c.id === f.connectionId);
  return (
    <Stack gap="sm">
      <Group grow align="flex-start">
        <TextInput
          label="Folder (prefix)"
          placeholder="orders/"
          description={fixed ? 'Fixed once created' : conn ? 'Inside the connection’s folder; empty for its top' : 'Leave empty for the top of the drop area'}
          disabled={fixed}
          value={f.prefix}
          onChange={(e) => set({ prefix: e.currentTarget.value })}
          error={errorFor(err, 'file.prefix')}
          classNames={{ input: 'mono' }}
          data-testid="job-prefix"
        />
        <TextInput
          label="File name pattern"
          required
          placeholder="orders_*.csv"
          description="A glob on the file name"
          value={f.pattern}
          onChange={(e) => set({ pattern: e.currentTarget.value })}
          error={errorFor(err, 'file.pattern', 'pattern')}
          classNames={{ input: 'mono' }}
          data-testid="job-pattern"
        />
      </Group>
      <NativeSelect
        label="Format"
        data={FORMATS}
        disabled={fixed}
        value={f.format}
        onChange={(e) => set({ format: e.currentTarget.value })}
        error={errorFor(err, 'file.format')}
        data-testid="job-format"
      />
      {conn && (
        <>
          <Switch
            label="Include subfolders"
            description="Also the files in the folders under the prefix"
            disabled={fixed}
            checked={f.subfolders}
            onChange={(e) => set({ subfolders: e.currentTarget.checked })}
            error={errorFor(err, 'file.subfolders')}
            data-testid="job-subfolders"
          />
          <Radio.Group label="Which files a run loads" value={f.mode} onChange={(v) => set({ mode: v as FileMode })} error={errorFor(err, 'file.mode')} data-testid="job-file-mode">
            <Stack gap="xs" mt={6}>
              {FILE_MODES.map((o) => (
                <Radio key={o.value} value={o.value} label={o.label} description={o.sentence} disabled={fixed} data-testid={`file-mode-${o.value}`} />
              ))}
            </Stack>
          </Radio.Group>
        </>
      )}
      <MatchingFiles conn={conn} source={f} set={set} />
      {conn && <DetectSchema conn={conn} source={f} set={set} fixed={fixed} />}
    </Stack>
  );
}

const DELIMITERS = [
  { value: '', label: 'Detect' },
  { value: ',', label: 'Comma ,' },
  { value: ';', label: 'Semicolon ;' },
  { value: '\t', label: 'Tab' },
  { value: '|', label: 'Pipe |' },
];
const ENCODINGS = [
  { value: '', label: 'Detect' },
  { value: 'utf-8', label: 'UTF-8' },
  { value: 'latin-1', label: 'Latin-1' },
  { value: 'windows-1252', label: 'Windows-1252' },
];

const DETECTED_COLUMNS: DataColumn<DetectedColumn>[] = [
  { key: 'name', header: 'Column', cell: (c) => <span className="mono">{c.name}</span>, td: () => ({ 'data-testid': 'detected-name' }) },
  { key: 'type', header: 'Type', cell: (c) => c.type, td: () => ({ 'data-testid': 'detected-type' }) },
  {
    key: 'confidence',
    header: 'Confidence',
    align: 'right',
    cell: (c) => (
      <span title={c.warning}>
        {Math.round(c.confidence * 100)}%{c.warning ? ' ⚠' : ''}
      </span>
    ),
  },
  { key: 'samples', header: 'Samples', cell: (c) => (c.samples ?? []).join(', ') },
];

/** A glob on a file name as the API reads it: `*` and `?` within one name, `[...]` a class. */
export function globMatch(pattern: string, name: string): boolean {
  if (!pattern) return true;
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}

/** A file a job would claim: its key (bucket) or name (drop folder), as the API names it for a sample. */
export interface MatchedFile {
  key: string;
  /** The name below the connection's prefix (what detection and the destination grid read). */
  object: string;
  size: number;
  modified: string;
}

/**
 * The files the folder and pattern select, newest first: a bucket connection's listing (asked once
 * typing pauses), or the drop folder's files matched here.
 */
export function useMatchingFiles(conn: Connection | undefined, f: FileSourceDraft) {
  const api = useApi();
  const [prefix] = useDebouncedValue(f.prefix.trim(), 300);
  const [pattern] = useDebouncedValue(f.pattern.trim(), 300);
  const listed = useQuery({ ...queries.sourceFiles(api, conn?.id ?? '', prefix, pattern), enabled: !!conn });
  const drops = useQuery({ ...queries.dropFiles(api), enabled: !conn });
  if (conn) {
    const base = conn.prefix ?? '';
    const files: MatchedFile[] = (listed.data ?? []).map((x) => ({ key: x.key, object: x.key.startsWith(base) ? x.key.slice(base.length) : x.key, size: x.size, modified: x.last_modified }));
    return { files, isLoading: listed.isLoading, error: listed.error };
  }
  const files: MatchedFile[] = (drops.data ?? [])
    .filter((x) => x.name.startsWith(prefix) && !x.name.slice(prefix.length).includes('/') && globMatch(pattern, x.name.slice(prefix.length)))
    .sort((a, b) => Date.parse(b.modified) - Date.parse(a.modified))
    .map((x) => ({ key: x.name, object: x.name, size: x.size, modified: x.modified }));
  return { files, isLoading: drops.isLoading, error: drops.error };
}

/** The checklist of the files the pattern selects; in latest-only mode, the one the next run loads. */
function MatchingFiles({ conn, source: f, set }: { conn: Connection | undefined; source: FileSourceDraft; set: Set<FileSourceDraft> }) {
  const { files, isLoading, error } = useMatchingFiles(conn, f);
  const latest = !!conn && f.mode === 'latest';
  const shown = files.slice(0, 20);
  return (
    <Stack gap={6} data-testid="job-files" data-count={files.length}>
      <Text size="sm" fw={500}>
        Files the pattern selects {files.length > 0 && <Badge variant="light">{files.length}</Badge>}
      </Text>
      {error ? (
        <Alert color="red" icon={<IconAlertCircle size={18} />}>
          {errorMessage(error)}
        </Alert>
      ) : isLoading ? (
        <Text size="sm" c="dimmed">
          Listing files…
        </Text>
      ) : files.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="job-files-empty">
          {f.pattern.trim() ? 'No file matches yet: runs load the matching files once they are there.' : 'Type a pattern to see the files it selects.'}
        </Text>
      ) : (
        <Paper withBorder radius="md" p={0}>
          <Stack gap={0}>
            {shown.map((x, i) => {
              const skipped = latest && i > 0;
              return (
                <Group key={x.key} gap="sm" px="sm" py={6} wrap="nowrap" className="file-check-row" data-testid="job-file" data-key={x.key} data-skipped={skipped}>
                  <ThemeIcon size="sm" radius="xl" variant="light" color={skipped ? 'gray' : 'teal'}>
                    {skipped ? <IconMinus size={12} /> : <IconCheck size={12} />}
                  </ThemeIcon>
                  <Text size="sm" className="mono" c={skipped ? 'dimmed' : undefined} style={{ flex: 1 }} truncate>
                    {x.key}
                  </Text>
                  {latest && i === 0 && (
                    <Badge size="xs" variant="light" color="teal">
                      newest: the next run loads it
                    </Badge>
                  )}
                  <Text size="xs" c="dimmed">
                    {formatBytes(x.size)} · {formatDateTime(x.modified)}
                  </Text>
                  <Button size="compact-xs" variant={f.sample === x.key ? 'light' : 'subtle'} onClick={() => set({ sample: x.key })} data-testid="job-file-sample">
                    {f.sample === x.key ? 'Sample file' : 'Use as sample'}
                  </Button>
                </Group>
              );
            })}
          </Stack>
        </Paper>
      )}
      {files.length > shown.length && (
        <Text size="xs" c="dimmed">
          And {files.length - shown.length} more.
        </Text>
      )}
    </Stack>
  );
}

/** Detects the schema of a chosen file of the connection and shows its columns and first rows. */
function DetectSchema({ conn, source: f, set, fixed }: { conn: Connection; source: FileSourceDraft; set: Set<FileSourceDraft>; fixed: boolean }) {
  const api = useApi();
  const [active, setActive] = useState(false);
  const { files: matched, isLoading, error: listError } = useMatchingFiles(conn, f);
  const file = f.sample;
  const chosen = matched.find((x) => x.key === file);
  const base = conn.prefix ?? '';
  const req: DetectRequest = {
    name: chosen?.object ?? (file.startsWith(base) ? file.slice(base.length) : file),
    // The format select offers only the formats the API reads ('' detects).
    ...(f.format ? { format: f.format as DetectRequest['format'] } : {}),
    ...readOptions(f),
  };
  const detect = useQuery({ ...queries.detectFile(api, conn.id, req), enabled: active && file !== '' });
  const d = detect.data;
  const cols = d?.inferred.columns ?? [];
  return (
    <Stack gap="xs" data-testid="detect-schema">
      <Group align="flex-end" grow>
        <NativeSelect
          label="A file to detect the schema of"
          data={[{ value: '', label: isLoading ? 'Listing files…' : matched.length ? 'Choose a file' : 'No matching file' }, ...matched.map((x) => ({ value: x.key, label: x.key }))]}
          value={file}
          onChange={(e) => {
            set({ sample: e.currentTarget.value });
            setActive(false);
          }}
          error={listError ? errorMessage(listError) : undefined}
          data-testid="detect-file"
        />
        <Button variant="light" disabled={!file} loading={detect.isFetching} onClick={() => setActive(true)} data-testid="detect-run" style={{ flexGrow: 0 }}>
          Detect schema
        </Button>
      </Group>
      {active && (
        <Group grow>
          <NativeSelect label="Delimiter" data={DELIMITERS} value={f.delimiter} onChange={(e) => set({ delimiter: e.currentTarget.value })} data-testid="detect-delimiter" />
          <NativeSelect
            label="Header row"
            data={[
              { value: '', label: 'Detect' },
              { value: 'yes', label: 'First row names the columns' },
              { value: 'no', label: 'No header' },
            ]}
            value={f.header}
            onChange={(e) => set({ header: e.currentTarget.value as FileSourceDraft['header'] })}
            data-testid="detect-header"
          />
          <NativeSelect label="Encoding" data={ENCODINGS} value={f.encoding} onChange={(e) => set({ encoding: e.currentTarget.value })} data-testid="detect-encoding" />
        </Group>
      )}
      {active && (
        <Text size="xs" c="dimmed" data-testid="detect-options-note">
          {fixed ? 'These options change the detection only: the job keeps the read options it was created with.' : 'The job loads its files with these options.'}
        </Text>
      )}
      {active && detect.error && (
        <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="detect-error">
          {errorMessage(detect.error)}
        </Alert>
      )}
      {active && d && (
        <Stack gap="xs" data-testid="detect-result">
          <Text size="xs" c="dimmed">
            {d.format.toUpperCase()}
            {d.inferred.delimiter ? `, delimiter “${String.fromCharCode(d.inferred.delimiter)}”` : ''}
            {d.inferred.has_header ? ', header row' : ''}
            {d.inferred.detected_encoding ? `, ${d.inferred.detected_encoding}` : ''} · {d.inferred.rows} rows read
            {d.truncated ? ' (a sample)' : ''}
            {d.inferred.bad_rows ? ` · ${d.inferred.bad_rows} unreadable rows` : ''}
          </Text>
          <DataTable columns={DETECTED_COLUMNS} rows={cols} rowKey={(c) => c.name} testId="detected-columns" rowProps={() => ({ 'data-testid': 'detected-column' })} />
          <DataTable
            columns={cols.map((c, i) => ({ key: c.name, header: c.name, cell: (r: (string | null)[]) => (r[i] === null ? <Text c="dimmed">NULL</Text> : r[i]) }))}
            rows={d.rows ?? []}
            rowKey={(r) => JSON.stringify(r)}
            testId="detected-rows"
            empty={<Text size="sm">{d.format === 'parquet' || d.format === 'json' ? 'Parquet and JSON files show the samples of their columns above.' : 'The file has no data rows.'}</Text>}
          />
        </Stack>
      )}
    </Stack>
  );
}

/** The connection of a database draft, its discovery words and its schema as discovery names it. */
export function useDatabaseSource(db: DatabaseDraft) {
  const api = useApi();
  const conns = useConnections();
  const conn = (conns.data ?? []).find((c) => c.id === db.connectionId && !isBucket(c));
  const on = db.connectionId !== '';
  const schemas = useQuery({ ...queries.sourceSchemas(api, db.connectionId), enabled: on });
  // Discovery names the schema: the chosen one, else the connection's, else the first listed.
  const schema = db.schema || (conn?.schema && schemas.data?.includes(conn.schema) ? conn.schema : schemas.data?.[0]) || '';
  const meta = useQuery({ ...queries.sourceTable(api, db.connectionId, schema, db.table), enabled: on && schema !== '' && db.table !== '' });
  const words = (conn ? typeSpec(conn.type).words : undefined) ?? DATABASE_WORDS;
  return { conn, on, schemas, schema, meta, words };
}

/** Step 2 of a database job: schema and table, with the table's columns and row count. */
export function DatabaseSourceFields({ value: db, set, err, fixed }: { value: DatabaseDraft; set: Set<DatabaseDraft>; err: unknown; fixed: boolean }) {
  const api = useApi();
  const { on, schemas, schema, meta, words } = useDatabaseSource(db);
  const tables = useQuery({ ...queries.sourceTables(api, db.connectionId, schema), enabled: on && schemas.isFetched });
  const recommended = meta.data?.recommended?.timestamp_column ?? '';
  // The recommended column is pre-filled when the user picks a table (never on opening a saved job).
  const [prefill, setPrefill] = useState(false);
  useEffect(() => {
    if (!prefill || !meta.data) return;
    setPrefill(false);
    if (recommended) set({ timestampColumn: recommended });
  }, [prefill, meta.data, recommended, set]);
  const dbErr = (f: string) => errorFor(err, `database.${f}`);
  const cols = meta.data?.columns ?? [];
  return (
    <Stack gap="sm">
      <Group grow align="flex-start">
        <NativeSelect
          label={words.schema}
          disabled={fixed || !on}
          data={(schemas.data?.length ? schemas.data : [schema]).map((s) => ({ value: s, label: s || 'Default' }))}
          value={schema}
          onChange={(e) => set({ schema: e.currentTarget.value, table: '', timestampColumn: '' })}
          error={dbErr('schema') ?? (schemas.error ? errorMessage(schemas.error) : undefined)}
          data-testid="job-db-schema"
        />
        <NativeSelect
          label={words.tables.replace(/s$/, '')}
          required
          disabled={fixed || !on}
          data={[
            { value: '', label: tables.isLoading ? `Loading ${words.tables.toLowerCase()}…` : 'Choose one' },
            ...(tables.data ?? []).map((t) => ({ value: t.name, label: `${t.name} (${t.rows_exact ? '' : '~'}${t.rows.toLocaleString()} ${words.rows})` })),
            ...(db.table && !tables.data?.some((t) => t.name === db.table) ? [{ value: db.table, label: db.table }] : []),
          ]}
          value={db.table}
          onChange={(e) => {
            set({ schema, table: e.currentTarget.value, timestampColumn: '' });
            setPrefill(e.currentTarget.value !== '');
          }}
          error={dbErr('table') ?? (tables.error ? errorMessage(tables.error) : undefined)}
          data-testid="job-db-table"
        />
      </Group>
      {meta.error && (
        <Alert color="red" icon={<IconAlertCircle size={18} />}>
          {errorMessage(meta.error)}
        </Alert>
      )}
      {db.table && meta.data && (
        <Stack gap={6} data-testid="job-db-columns" data-rows={meta.data.total_rows}>
          <Text size="sm" c="dimmed">
            {cols.length} columns · {meta.data.rows_exact ? '' : 'about '}
            {meta.data.total_rows.toLocaleString()} {words.rows}
          </Text>
          <DataTable columns={SOURCE_COLUMNS} rows={cols} rowKey={(c) => c.original_name || c.name} testId="job-db-column-list" rowProps={(c) => ({ 'data-testid': 'job-db-column', 'data-name': c.original_name || c.name })} />
        </Stack>
      )}
    </Stack>
  );
}

const SOURCE_COLUMNS: DataColumn<SourceColumn>[] = [
  { key: 'name', header: 'Column', cell: (c) => <span className="mono">{c.original_name || c.name}</span> },
  { key: 'source_type', header: 'Source type', cell: (c) => <span className="mono">{c.source_type}</span> },
  { key: 'type', header: 'Warehouse type', cell: (c) => c.type },
  { key: 'samples', header: 'Samples', cell: (c) => (c.samples ?? []).slice(0, 3).join(', ') },
];

/** "Reset watermark" on an incremental database job, behind a confirmation that says what follows. */
export function ResetWatermark({ job }: { job: JobView }) {
  const [open, setOpen] = useState(false);
  const reset = useJobMutation<string, JobView>((api, id) => api.resetWatermark(id));
  const appends = job.load_mode === 'append';
  // The job as the reset answered it (without state), else as the editor opened it.
  const watermark = (reset.data ?? job).state?.watermark;
  return (
    <Group gap="xs">
      <Badge variant="light" color={watermark ? 'blue' : 'gray'} data-testid="job-watermark-state">
        {watermark ? `Watermark ${watermark.value}` : 'No watermark: the next run reads from the start'}
      </Badge>
      <Button size="xs" variant="default" disabled={!watermark} onClick={() => setOpen(true)} data-testid="job-reset-watermark">
        Reset watermark
      </Button>
      <Modal
        opened={open}
        onClose={() => {
          setOpen(false);
          reset.reset();
        }}
        title="Reset the watermark?"
      >
        <Stack gap="sm" data-testid="reset-watermark-dialog">
          <Text size="sm">
            The next run of {job.name} reads {job.database?.historical_start ? 'from the historical start' : 'the whole table'} again instead of only the rows after the last run.
          </Text>
          <Text size="sm" fw={500}>
            {appends
              ? 'With load mode Append, the rows already loaded are loaded again (duplicates) unless you empty the table first.'
              : 'With load mode Merge, rows read again are merged on the key and kept once.'}
          </Text>
          {reset.error && (
            <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="reset-watermark-error">
              {errorMessage(reset.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button color="red" loading={reset.isPending} onClick={() => reset.mutate(job.id, { onSuccess: () => setOpen(false) })} data-testid="reset-watermark-confirm">
              Reset watermark
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Group>
  );
}
