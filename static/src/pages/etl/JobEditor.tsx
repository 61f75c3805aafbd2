import { Alert, Button, Divider, Group, Modal, Radio, SegmentedControl, Stack, Switch, Text, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { errorMessage } from '../../api/client';
import { useJobMutation } from '../../api/queries';
import type { DatabaseSource, FileSource, JobPatch, JobView, LoadMode, NewJob, SchemaEvolution } from '../../api/types';
import { SchedulePicker } from '../../components/SchedulePicker';
import { errorFor, fieldError } from '../../lib/fieldErrors';
import { buildSpec, draftFromSpec, type ScheduleDraft } from '../../lib/schedule';
import { DatabaseSourceFields, FileSourceFields, readOptions, ResetWatermark, type DatabaseDraft, type FileSourceDraft } from './JobSourceStep';

/** What a run does with source columns the table does not have (the server's default is refuse). */
export const SCHEMA_EVOLUTIONS: { value: SchemaEvolution; label: string; sentence: string }[] = [
  {
    value: 'refuse',
    label: 'Refuse new columns',
    sentence: 'A file or table with a column the destination table does not have fails its run and loads nothing; the message names the new columns. The table changes only when you say so.',
  },
  {
    value: 'add_columns',
    label: 'Add new columns',
    sentence: 'New columns are added to the table as nullable columns before the load (earlier rows are empty in them). No column is ever dropped or changes type.',
  },
];

/** A job as the editor holds it; `kind` says which source fields apply. */
export interface Draft {
  kind: 'file' | 'database';
  name: string;
  file: FileSourceDraft;
  db: DatabaseDraft;
  dataset: string;
  table: string;
  loadMode: LoadMode;
  mergeKeys: string;
  schemaEvolution: SchemaEvolution;
  enabled: boolean;
  schedule: ScheduleDraft;
}

export function draftOf(job: JobView | null, kind: Draft['kind'] = 'file'): Draft {
  const db = job?.database;
  return {
    kind: job ? (job.database ? 'database' : 'file') : kind,
    name: job?.name ?? '',
    file: {
      connectionId: job?.file?.connection_id ?? '',
      prefix: job?.file?.prefix ?? '',
      subfolders: job?.file?.subfolders ?? false,
      mode: job?.file?.mode || 'all',
      pattern: job?.file?.pattern ?? '',
      format: job?.file?.format ?? '',
      delimiter: job?.file?.delimiter ?? '',
      header: job?.file?.has_header === undefined ? '' : job.file.has_header ? 'yes' : 'no',
      encoding: job?.file?.encoding ?? '',
    },
    db: {
      connectionId: db?.connection_id ?? '',
      sourceType: job?.database ? job.source_type : '',
      schema: db?.schema ?? '',
      table: db?.table ?? '',
      timestampColumn: db?.timestamp_column ?? '',
      historicalStart: db?.historical_start ? db.historical_start.slice(0, 10) : '',
      lookbackMinutes: db?.lookback_minutes ? String(db.lookback_minutes) : '',
    },
    dataset: job?.dest.dataset ?? 'raw_data',
    table: job?.dest.table ?? '',
    loadMode: job?.load_mode ?? 'append',
    mergeKeys: (job?.merge_keys ?? []).join(', '),
    schemaEvolution: job?.schema_evolution || 'refuse',
    enabled: job?.enabled ?? true,
    schedule: draftFromSpec(job?.schedule?.spec),
  };
}

const splitKeys = (s: string) =>
  s
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

/** A latest-file job replaces its table with the newest file: its load mode is always truncate. */
const loadModeOf = (d: Draft): LoadMode => (d.kind === 'file' && d.file.connectionId && d.file.mode === 'latest' ? 'truncate' : d.loadMode);

function fileSourceOf(d: Draft): FileSource {
  const f = d.file;
  const { header, ...read } = readOptions(f);
  return {
    prefix: f.prefix.trim(),
    pattern: f.pattern.trim(),
    format: f.format,
    ...read,
    ...(header !== undefined ? { has_header: header } : {}),
    ...(f.connectionId ? { connection_id: f.connectionId, subfolders: f.subfolders, mode: f.mode } : {}),
  };
}

/** The database source of a draft; the lookback applies to merge jobs with a timestamp column only. */
function databaseSourceOf(d: Draft): DatabaseSource {
  const db = d.db;
  const ts = db.timestampColumn.trim();
  return {
    connection_id: db.connectionId,
    ...(db.schema ? { schema: db.schema } : {}),
    table: db.table,
    ...(ts ? { timestamp_column: ts } : {}),
    ...(ts && db.historicalStart ? { historical_start: `${db.historicalStart}T00:00:00Z` } : {}),
    ...(ts && loadModeOf(d) === 'merge' && db.lookbackMinutes.trim() !== '' ? { lookback_minutes: Number(db.lookbackMinutes) } : {}),
  };
}

/** The body of POST /api/jobs for a draft. */
export function newJobBody(d: Draft): NewJob {
  const mode = loadModeOf(d);
  const source: Pick<NewJob, 'file' | 'database' | 'source_type'> =
    d.kind === 'database'
      ? { source_type: d.db.sourceType || 'database', file: { prefix: '', pattern: '' }, database: databaseSourceOf(d) }
      : { file: fileSourceOf(d) };
  return {
    name: d.name.trim(),
    ...source,
    dest: { dataset: d.dataset.trim() || undefined, table: d.table.trim() || undefined },
    load_mode: mode,
    ...(mode === 'merge' ? { merge_keys: splitKeys(d.mergeKeys) } : {}),
    schema_evolution: d.schemaEvolution,
    schedule: buildSpec(d.schedule),
    enabled: d.enabled,
  };
}

/** The body of PATCH /api/jobs/{id}: only what changed. */
export function jobPatchBody(job: JobView, d: Draft): JobPatch {
  const before = draftOf(job);
  const p: JobPatch = {};
  const mode = loadModeOf(d);
  if (d.name.trim() !== before.name) p.name = d.name.trim();
  if (d.kind === 'file' && d.file.pattern.trim() !== before.file.pattern) p.pattern = d.file.pattern.trim();
  if (d.kind === 'database' && JSON.stringify(databaseSourceOf(d)) !== JSON.stringify(databaseSourceOf(before))) p.database = databaseSourceOf(d);
  if (JSON.stringify(buildSpec(d.schedule)) !== JSON.stringify(buildSpec(before.schedule))) p.schedule = buildSpec(d.schedule);
  if (d.dataset.trim() !== before.dataset || d.table.trim() !== before.table) p.dest = { dataset: d.dataset.trim(), table: d.table.trim() };
  if (mode !== before.loadMode) p.load_mode = mode;
  if (mode === 'merge' && d.mergeKeys !== before.mergeKeys) p.merge_keys = splitKeys(d.mergeKeys);
  if (mode !== 'merge' && before.loadMode === 'merge') p.merge_keys = [];
  if (d.schemaEvolution !== before.schemaEvolution) p.schema_evolution = d.schemaEvolution;
  return p;
}

const FIELDS = ['name', 'file.format', 'dest.dataset', 'dest.table', 'dataset', 'table', 'load_mode', 'merge_keys', 'schema_evolution'];
const FILE_FIELDS = ['file.connection_id', 'file.prefix', 'file.pattern', 'pattern', 'file.subfolders', 'file.mode'];
const DATABASE_FIELDS = ['source_type', 'database.connection_id', 'database.schema', 'database.table', 'database.timestamp_column', 'database.historical_start', 'database.lookback_minutes'];

/** Whether the form shows an error about `field` under that field (otherwise it is shown on top). */
function shownAtField(field: string, kind: Draft['kind']): boolean {
  return FIELDS.includes(field) || field.startsWith('schedule.') || (kind === 'file' ? FILE_FIELDS : DATABASE_FIELDS).includes(field);
}

/** Creates a job (job null: a file or a database job) or edits one, in a modal. */
export function JobEditor({ job, opened, onClose }: { job: JobView | null; opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title={job ? `Edit ${job.name}` : 'New job'} size="lg" data-testid="job-editor">
      {opened && <JobForm key={job?.id ?? 'new'} job={job} onDone={onClose} />}
    </Modal>
  );
}

function JobForm({ job, onDone }: { job: JobView | null; onDone: () => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(job));
  const save = useJobMutation<Draft>((api, v) => (job ? api.updateJob(job.id, jobPatchBody(job, v)) : api.createJob(newJobBody(v))));
  const update = (f: (old: Draft) => Draft) => {
    setD(f);
    if (save.isError) save.reset();
  };
  const set = (p: Partial<Draft>) => update((old) => ({ ...old, ...p }));
  const err = save.error;
  const destLocked = !!job?.last_run;
  const latestOnly = d.kind === 'file' && !!d.file.connectionId && d.file.mode === 'latest';
  const fe = fieldError(err);
  const generalError = err && (!fe || !shownAtField(fe.field, d.kind));

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(d, { onSuccess: onDone });
      }}
    >
      <Stack gap="md">
        {generalError && (
          <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="job-editor-error">
            {errorMessage(err)}
          </Alert>
        )}
        <TextInput
          label="Name"
          required
          maxLength={100}
          value={d.name}
          onChange={(e) => set({ name: e.currentTarget.value })}
          error={errorFor(err, 'name')}
          data-testid="job-name"
        />
        {!job && (
          <SegmentedControl
            data={[
              { value: 'file', label: 'Files' },
              { value: 'database', label: 'Database table' },
            ]}
            value={d.kind}
            onChange={(v) => set({ kind: v as Draft['kind'] })}
            data-testid="job-kind"
          />
        )}
        {d.kind === 'file' ? (
          <FileSourceFields value={d.file} set={(f) => update((old) => ({ ...old, file: { ...old.file, ...f } }))} err={err} fixed={!!job} />
        ) : (
          <>
            <DatabaseSourceFields value={d.db} set={(db) => update((old) => ({ ...old, db: { ...old.db, ...db } }))} err={err} fixed={destLocked} merge={loadModeOf(d) === 'merge'} />
            {job?.database?.timestamp_column && <ResetWatermark job={job} />}
          </>
        )}
        <Divider label="Destination" labelPosition="left" />
        {destLocked && (
          <Text size="xs" c="dimmed">
            The destination and load mode are fixed once the job has run.
          </Text>
        )}
        <Group grow align="flex-start">
          <TextInput
            label="Dataset"
            value={d.dataset}
            disabled={destLocked}
            onChange={(e) => set({ dataset: e.currentTarget.value })}
            error={errorFor(err, 'dest.dataset', 'dataset')}
            classNames={{ input: 'mono' }}
            data-testid="job-dataset"
          />
          <TextInput
            label="Table"
            placeholder={job ? '' : 'From the job name'}
            value={d.table}
            disabled={destLocked}
            onChange={(e) => set({ table: e.currentTarget.value })}
            error={errorFor(err, 'dest.table', 'table')}
            classNames={{ input: 'mono' }}
            data-testid="job-table"
          />
        </Group>
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Load mode
          </Text>
          <SegmentedControl
            disabled={destLocked || latestOnly}
            data={[
              { value: 'append', label: 'Append' },
              { value: 'truncate', label: 'Replace' },
              { value: 'merge', label: 'Merge' },
            ]}
            value={loadModeOf(d)}
            onChange={(v) => set({ loadMode: v as LoadMode })}
            data-testid="job-load-mode"
          />
          {latestOnly && (
            <Text size="xs" c="dimmed" data-testid="job-load-mode-latest">
              Latest file only: the newest file replaces the table.
            </Text>
          )}
          {errorFor(err, 'load_mode') && (
            <Text size="xs" c="red">
              {errorFor(err, 'load_mode')}
            </Text>
          )}
        </Stack>
        {loadModeOf(d) === 'merge' && (
          <TextInput
            label="Merge keys"
            description={d.kind === 'database' ? 'Columns that identify a row, separated by commas; empty: the table’s primary key' : 'Columns that identify a row, separated by commas'}
            placeholder="invoice_no, stock_code"
            disabled={destLocked}
            value={d.mergeKeys}
            onChange={(e) => set({ mergeKeys: e.currentTarget.value })}
            error={errorFor(err, 'merge_keys')}
            classNames={{ input: 'mono' }}
            data-testid="job-merge-keys"
          />
        )}
        <Radio.Group
          label="New source columns"
          value={d.schemaEvolution}
          onChange={(v) => set({ schemaEvolution: v as SchemaEvolution })}
          error={errorFor(err, 'schema_evolution')}
          data-testid="job-schema-evolution"
        >
          <Stack gap="xs" mt={6}>
            {SCHEMA_EVOLUTIONS.map((o) => (
              <Radio key={o.value} value={o.value} label={o.label} description={o.sentence} data-testid={`schema-evolution-${o.value}`} />
            ))}
          </Stack>
        </Radio.Group>
        <Divider label="Schedule" labelPosition="left" />
        <SchedulePicker value={d.schedule} onChange={(schedule) => set({ schedule })} serverError={fe?.field.startsWith('schedule.') ? err : undefined} />
        {!job && (
          <Switch
            label="Enabled"
            description="A disabled job neither runs on schedule nor on dropped files"
            checked={d.enabled}
            onChange={(e) => set({ enabled: e.currentTarget.checked })}
          />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="job-save">
            {job ? 'Save changes' : 'Create job'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
