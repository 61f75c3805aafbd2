import { Modal } from '@mantine/core';
import type { ColumnOverride, WizardDest, WizardJob } from '../../api/jobWizard';
import type { DatabaseSource, FileSource, JobPatch, JobView, LoadMode, SchemaEvolution } from '../../api/types';
import { buildSpec, draftFromSpec, type ScheduleDraft } from '../../lib/schedule';
import { readOptions, type DatabaseDraft, type FileSourceDraft } from './JobSourceStep';
import { JobWizard } from './wizard/JobWizard';

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

/** A job as the wizard holds it; `kind` says which source fields apply. */
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
  /** The destination grid's edits: only the columns whose name or type differs from the default. */
  destColumns: ColumnOverride[];
  /** Whether the table keeps the lineage columns (source file, load time). */
  lineage: boolean;
  /** The warehouse column the table is partitioned on by day ('' none). */
  partition: string;
  clusterBy: string[];
}

export function draftOf(job: JobView | null, kind: Draft['kind'] = 'file'): Draft {
  const db = job?.database;
  const dest = job?.dest;
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
      sample: '',
    },
    db: {
      connectionId: db?.connection_id ?? '',
      sourceType: job?.database ? job.source_type : '',
      schema: db?.schema ?? '',
      table: db?.table ?? '',
      timestampColumn: db?.timestamp_column ?? '',
      historicalStart: db?.historical_start ? db.historical_start.slice(0, 10) : '',
      backfill: job ? (db?.historical_start ? 'date' : 'all') : '30',
      lookbackMinutes: db?.lookback_minutes ? String(db.lookback_minutes) : '',
    },
    dataset: job?.dest.dataset ?? 'raw_data',
    table: job?.dest.table ?? '',
    loadMode: job?.load_mode ?? 'append',
    mergeKeys: (job?.merge_keys ?? []).join(', '),
    schemaEvolution: job?.schema_evolution || 'refuse',
    enabled: job?.enabled ?? true,
    schedule: draftFromSpec(job?.schedule?.spec),
    destColumns: dest?.columns ?? [],
    lineage: dest?.lineage ?? true,
    partition: dest?.partition?.column ?? '',
    clusterBy: dest?.cluster_by ?? [],
  };
}

const splitKeys = (s: string) =>
  s
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

/** A latest-file job replaces its table with the newest file: its load mode is always truncate. */
export const loadModeOf = (d: Draft): LoadMode => (d.kind === 'file' && d.file.connectionId && d.file.mode === 'latest' ? 'truncate' : d.loadMode);

/** Whether the draft reads a file connection in latest-only mode. */
export const isLatestOnly = (d: Draft) => d.kind === 'file' && !!d.file.connectionId && d.file.mode === 'latest';

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

/** The UTC date `days` days before `now`, as YYYY-MM-DD. */
export function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86400000).toISOString().slice(0, 10);
}

/** Where the first run starts: a backfill preset (days before now), a chosen date, or '' for all rows. */
function historicalStartOf(db: DatabaseDraft, now: Date): string {
  if (db.backfill === 'all') return '';
  if (db.backfill === 'date') return db.historicalStart;
  return daysBefore(now, Number(db.backfill));
}

/**
 * The database source of a draft. A snapshot (replace) reads the whole table: it has no watermark
 * column; the lookback applies to merge jobs with one only.
 */
function databaseSourceOf(d: Draft, now: Date): DatabaseSource {
  const db = d.db;
  const ts = loadModeOf(d) === 'truncate' ? '' : db.timestampColumn.trim();
  const start = ts ? historicalStartOf(db, now) : '';
  return {
    connection_id: db.connectionId,
    ...(db.schema ? { schema: db.schema } : {}),
    table: db.table,
    ...(ts ? { timestamp_column: ts } : {}),
    ...(start ? { historical_start: `${start}T00:00:00Z` } : {}),
    ...(ts && loadModeOf(d) === 'merge' && db.lookbackMinutes.trim() !== '' ? { lookback_minutes: Number(db.lookbackMinutes) } : {}),
  };
}

/** The destination of a draft: the table and, when set, the grid's edits, lineage, partitioning and clustering. */
function destOf(d: Draft): WizardDest {
  return {
    dataset: d.dataset.trim(),
    table: d.table.trim(),
    ...(d.destColumns.length ? { columns: d.destColumns } : {}),
    ...(d.lineage ? {} : { lineage: false }),
    ...(d.partition ? { partition: { column: d.partition, granularity: 'day' as const } } : {}),
    ...(d.clusterBy.length ? { cluster_by: d.clusterBy } : {}),
  };
}

/** The body of POST /api/jobs for a draft (empty dataset and table: the server's defaults). */
export function newJobBody(d: Draft, now = new Date()): WizardJob {
  const mode = loadModeOf(d);
  const source: Pick<WizardJob, 'file' | 'database' | 'source_type'> =
    d.kind === 'database'
      ? { source_type: d.db.sourceType || 'database', file: { prefix: '', pattern: '' }, database: databaseSourceOf(d, now) }
      : { file: fileSourceOf(d) };
  const { dataset, table, ...extra } = destOf(d);
  return {
    name: d.name.trim(),
    ...source,
    dest: { dataset: dataset || undefined, table: table || undefined, ...extra },
    load_mode: mode,
    ...(mode === 'merge' ? { merge_keys: splitKeys(d.mergeKeys) } : {}),
    schema_evolution: d.schemaEvolution,
    schedule: buildSpec(d.schedule),
    enabled: d.enabled,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The body of PATCH /api/jobs/{id}: only what changed. */
export function jobPatchBody(job: JobView, d: Draft, now = new Date()): JobPatch {
  const before = draftOf(job);
  const p: JobPatch = {};
  const mode = loadModeOf(d);
  if (d.name.trim() !== before.name) p.name = d.name.trim();
  if (d.kind === 'file' && d.file.pattern.trim() !== before.file.pattern) p.pattern = d.file.pattern.trim();
  if (d.kind === 'database' && !same(databaseSourceOf(d, now), databaseSourceOf(before, now))) p.database = databaseSourceOf(d, now);
  if (!same(buildSpec(d.schedule), buildSpec(before.schedule))) p.schedule = buildSpec(d.schedule);
  if (!same(destOf(d), destOf(before))) p.dest = destOf(d);
  if (mode !== before.loadMode) p.load_mode = mode;
  if (mode === 'merge' && d.mergeKeys !== before.mergeKeys) p.merge_keys = splitKeys(d.mergeKeys);
  if (mode !== 'merge' && before.loadMode === 'merge') p.merge_keys = [];
  if (d.schemaEvolution !== before.schemaEvolution) p.schema_evolution = d.schemaEvolution;
  return p;
}

/** Creates a job (job null: a file or a database job) or edits one, in the 5-step wizard. */
export function JobEditor({ job, opened, onClose }: { job: JobView | null; opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title={job ? `Edit ${job.name}` : 'New job'} size="80rem" data-testid="job-editor">
      {opened && <JobWizard key={job?.id ?? 'new'} job={job} onDone={onClose} />}
    </Modal>
  );
}
