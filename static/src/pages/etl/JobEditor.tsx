import { Alert, Button, Divider, Group, Modal, NativeSelect, Radio, SegmentedControl, Stack, Switch, Text, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { errorMessage } from '../../api/client';
import { useJobMutation } from '../../api/queries';
import type { JobPatch, JobView, LoadMode, NewJob, SchemaEvolution } from '../../api/types';
import { SchedulePicker } from '../../components/SchedulePicker';
import { errorFor, fieldError } from '../../lib/fieldErrors';
import { buildSpec, draftFromSpec, type ScheduleDraft } from '../../lib/schedule';

const FORMATS = [
  { value: '', label: 'From the file extension' },
  { value: 'csv', label: 'CSV' },
  { value: 'jsonl', label: 'JSON Lines' },
  { value: 'json', label: 'JSON' },
  { value: 'parquet', label: 'Parquet' },
];

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

interface Draft {
  name: string;
  prefix: string;
  pattern: string;
  format: string;
  dataset: string;
  table: string;
  loadMode: LoadMode;
  mergeKeys: string;
  schemaEvolution: SchemaEvolution;
  enabled: boolean;
  schedule: ScheduleDraft;
}

function draftOf(job: JobView | null): Draft {
  return {
    name: job?.name ?? '',
    prefix: job?.file?.prefix ?? '',
    pattern: job?.file?.pattern ?? '',
    format: job?.file?.format ?? '',
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

/** The body of POST /api/jobs for a draft. */
export function newJobBody(d: Draft): NewJob {
  return {
    name: d.name.trim(),
    file: { prefix: d.prefix.trim(), pattern: d.pattern.trim(), format: d.format },
    dest: { dataset: d.dataset.trim() || undefined, table: d.table.trim() || undefined },
    load_mode: d.loadMode,
    ...(d.loadMode === 'merge' ? { merge_keys: splitKeys(d.mergeKeys) } : {}),
    schema_evolution: d.schemaEvolution,
    schedule: buildSpec(d.schedule),
    enabled: d.enabled,
  };
}

/** The body of PATCH /api/jobs/{id}: only what changed. */
export function jobPatchBody(job: JobView, d: Draft): JobPatch {
  const before = draftOf(job);
  const p: JobPatch = {};
  if (d.name.trim() !== before.name) p.name = d.name.trim();
  if (d.pattern.trim() !== before.pattern) p.pattern = d.pattern.trim();
  if (JSON.stringify(buildSpec(d.schedule)) !== JSON.stringify(buildSpec(before.schedule))) p.schedule = buildSpec(d.schedule);
  if (d.dataset.trim() !== before.dataset || d.table.trim() !== before.table) p.dest = { dataset: d.dataset.trim(), table: d.table.trim() };
  if (d.loadMode !== before.loadMode) p.load_mode = d.loadMode;
  if (d.loadMode === 'merge' && d.mergeKeys !== before.mergeKeys) p.merge_keys = splitKeys(d.mergeKeys);
  if (d.loadMode !== 'merge' && before.loadMode === 'merge') p.merge_keys = [];
  if (d.schemaEvolution !== before.schemaEvolution) p.schema_evolution = d.schemaEvolution;
  return p;
}

/** Creates a file job (job null) or edits one, in a modal. */
export function JobEditor({ job, opened, onClose }: { job: JobView | null; opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title={job ? `Edit ${job.name}` : 'New file job'} size="lg" data-testid="job-editor">
      {opened && <JobForm key={job?.id ?? 'new'} job={job} onDone={onClose} />}
    </Modal>
  );
}

function JobForm({ job, onDone }: { job: JobView | null; onDone: () => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(job));
  const save = useJobMutation<Draft>((api, v) => (job ? api.updateJob(job.id, jobPatchBody(job, v)) : api.createJob(newJobBody(v))));
  const set = (p: Partial<Draft>) => {
    setD((old) => ({ ...old, ...p }));
    if (save.isError) save.reset();
  };
  const err = save.error;
  const destLocked = !!job?.last_run;
  const fe = fieldError(err);
  const known = ['name', 'file.prefix', 'file.pattern', 'pattern', 'file.format', 'dest.dataset', 'dest.table', 'dataset', 'table', 'load_mode', 'merge_keys', 'schema_evolution'];
  const generalError = err && (!fe || (!known.includes(fe.field) && !fe.field.startsWith('schedule.')));

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
        <Group grow align="flex-start">
          <TextInput
            label="Folder (prefix)"
            placeholder="orders/"
            description={job ? 'Fixed once created' : 'Leave empty for the top of the drop area'}
            disabled={!!job}
            value={d.prefix}
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
            value={d.pattern}
            onChange={(e) => set({ pattern: e.currentTarget.value })}
            error={errorFor(err, 'file.pattern', 'pattern')}
            classNames={{ input: 'mono' }}
            data-testid="job-pattern"
          />
        </Group>
        <NativeSelect
          label="Format"
          data={FORMATS}
          disabled={!!job}
          value={d.format}
          onChange={(e) => set({ format: e.currentTarget.value })}
          error={errorFor(err, 'file.format')}
          data-testid="job-format"
        />
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
            disabled={destLocked}
            data={[
              { value: 'append', label: 'Append' },
              { value: 'truncate', label: 'Replace' },
              { value: 'merge', label: 'Merge' },
            ]}
            value={d.loadMode}
            onChange={(v) => set({ loadMode: v as LoadMode })}
            data-testid="job-load-mode"
          />
          {errorFor(err, 'load_mode') && (
            <Text size="xs" c="red">
              {errorFor(err, 'load_mode')}
            </Text>
          )}
        </Stack>
        {d.loadMode === 'merge' && (
          <TextInput
            label="Merge keys"
            description="Columns that identify a row, separated by commas"
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
