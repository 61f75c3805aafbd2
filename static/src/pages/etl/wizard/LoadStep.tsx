import { Group, NativeSelect, Radio, SegmentedControl, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { IconArrowsJoin, IconPlaylistAdd, IconRefresh, type Icon } from '@tabler/icons-react';
import type { JobView, LoadMode, SchemaEvolution } from '../../../api/types';
import { errorFor } from '../../../lib/fieldErrors';
import { isLatestOnly, loadModeOf, SCHEMA_EVOLUTIONS, type Draft } from '../JobEditor';
import { ChoiceCard } from './ChoiceCard';
import { ResetWatermark, useDatabaseSource, type Backfill, type DatabaseDraft } from '../JobSourceStep';

interface Strategy {
  value: LoadMode;
  label: string;
  icon: Icon;
  database: string;
  file: string;
}

const STRATEGIES: Strategy[] = [
  {
    value: 'append',
    label: 'Append',
    icon: IconPlaylistAdd,
    database: 'Each run adds the rows after the watermark: the highest value of the watermark column the last run loaded.',
    file: 'Each new or changed file adds its rows; a changed file replaces the rows it loaded before.',
  },
  {
    value: 'truncate',
    label: 'Replace (snapshot)',
    icon: IconRefresh,
    database: 'Each run reads the whole table and replaces the destination: it is always one snapshot.',
    file: 'Each run replaces the table with what it loads.',
  },
  {
    value: 'merge',
    label: 'Merge on a key',
    icon: IconArrowsJoin,
    database: 'Rows are matched on the key: new ones are added, changed ones updated, never duplicated.',
    file: 'Rows are matched on the key: new ones are added, changed ones updated.',
  },
];

export const BACKFILLS: { value: Backfill; label: string }[] = [
  { value: '30', label: '30 days' },
  { value: '60', label: '60 days' },
  { value: '90', label: '90 days' },
  { value: 'all', label: 'All rows' },
  { value: 'date', label: 'From a date' },
];

/** Step 3: the load strategy, the watermark and its backfill, merge keys and lookback, schema evolution. */
export function LoadStep({
  draft: d,
  set,
  setDb,
  job,
  err,
  locked,
}: {
  draft: Draft;
  set: (p: Partial<Draft>) => void;
  setDb: (p: Partial<DatabaseDraft>) => void;
  job: JobView | null;
  err: unknown;
  locked: boolean;
}) {
  const mode = loadModeOf(d);
  const latest = isLatestOnly(d);
  return (
    <Stack gap="lg">
      <Stack gap={6}>
        <Text size="sm" fw={500}>
          Load strategy
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm" data-testid="job-load-mode" data-value={mode}>
          {STRATEGIES.map((s) => {
            const on = s.value === mode;
            const I = s.icon;
            return (
              <ChoiceCard key={s.value} selected={on} disabled={locked || latest} onClick={() => set({ loadMode: s.value })} testId={`load-mode-${s.value}`}>
                <Group gap="xs" wrap="nowrap" mb={4}>
                  <I size={20} stroke={1.6} color="var(--mantine-color-brand-6)" />
                  <Text fw={600} size="sm">
                    {s.label}
                  </Text>
                </Group>
                <Text size="xs" c="dimmed">
                  {d.kind === 'database' ? s.database : s.file}
                </Text>
              </ChoiceCard>
            );
          })}
        </SimpleGrid>
        {latest && (
          <Text size="xs" c="dimmed" data-testid="job-load-mode-latest">
            Latest file only: the newest file replaces the table.
          </Text>
        )}
        {locked && (
          <Text size="xs" c="dimmed">
            The load strategy is fixed once the job has run.
          </Text>
        )}
        {errorFor(err, 'load_mode') && (
          <Text size="xs" c="red">
            {errorFor(err, 'load_mode')}
          </Text>
        )}
      </Stack>
      {d.kind === 'database' && mode !== 'truncate' && <Watermark d={d} setDb={setDb} err={err} locked={locked} />}
      {mode === 'merge' && (
        <TextInput
          label="Merge keys"
          description={d.kind === 'database' ? 'Columns that identify a row, separated by commas; empty: the table’s primary key' : 'Columns that identify a row, separated by commas'}
          placeholder="invoice_no, stock_code"
          disabled={locked}
          value={d.mergeKeys}
          onChange={(e) => set({ mergeKeys: e.currentTarget.value })}
          error={errorFor(err, 'merge_keys')}
          classNames={{ input: 'mono' }}
          data-testid="job-merge-keys"
        />
      )}
      {job?.database?.timestamp_column && <ResetWatermark job={job} />}
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
    </Stack>
  );
}

/** The watermark column (pre-filled with the recommended one and its reason), the backfill and the lookback. */
function Watermark({ d, setDb, err, locked }: { d: Draft; setDb: (p: Partial<DatabaseDraft>) => void; err: unknown; locked: boolean }) {
  const db = d.db;
  const { meta } = useDatabaseSource(db);
  const rec = meta.data?.recommended;
  const cols = meta.data?.columns ?? [];
  const chosen = cols.find((c) => (c.original_name || c.name) === db.timestampColumn);
  // Integer columns (sequences) have no dates to start from.
  const temporal = !chosen || chosen.temporal;
  const dbErr = (f: string) => errorFor(err, `database.${f}`);
  return (
    <Stack gap="sm">
      <NativeSelect
        label="Watermark column"
        disabled={locked}
        description={
          rec?.timestamp_reason
            ? `Recommended: ${rec.timestamp_column || 'none'}. ${rec.timestamp_reason}`
            : 'A timestamp or an increasing integer column: each run reads the rows at or after the last run’s highest value'
        }
        data={[
          { value: '', label: 'None (the whole table each run)' },
          ...cols.map((c) => ({ value: c.original_name || c.name, label: `${c.original_name || c.name} (${c.source_type})${(c.original_name || c.name) === rec?.timestamp_column ? ' · recommended' : ''}` })),
          ...(db.timestampColumn && !cols.some((c) => (c.original_name || c.name) === db.timestampColumn) ? [{ value: db.timestampColumn, label: db.timestampColumn }] : []),
        ]}
        value={db.timestampColumn}
        onChange={(e) => {
          const name = e.currentTarget.value;
          const c = cols.find((x) => (x.original_name || x.name) === name);
          setDb({ timestampColumn: name, ...(c && !c.temporal ? { backfill: 'all' as Backfill } : {}) });
        }}
        error={dbErr('timestamp_column')}
        data-testid="job-db-timestamp"
      />
      {db.timestampColumn && temporal && (
        <Stack gap={6}>
          <Text size="sm" fw={500}>
            First run loads
          </Text>
          <Group align="flex-end" gap="md">
            <SegmentedControl
              disabled={locked}
              data={BACKFILLS}
              value={db.backfill}
              onChange={(v) => setDb({ backfill: v as Backfill })}
              data-testid="job-db-backfill"
            />
            {db.backfill === 'date' && (
              <TextInput
                type="date"
                aria-label="Historical start"
                disabled={locked}
                value={db.historicalStart}
                onChange={(e) => setDb({ historicalStart: e.currentTarget.value })}
                data-testid="job-db-historical-start"
              />
            )}
          </Group>
          <Text size="xs" c={dbErr('historical_start') ? 'red' : 'dimmed'}>
            {dbErr('historical_start') ??
              (db.backfill === 'all' ? 'The first run reads the whole table; later runs only what is new.' : 'The first run starts there; later runs only read what is new.')}
          </Text>
        </Stack>
      )}
      {db.timestampColumn && loadModeOf(d) === 'merge' && (
        <TextInput
          type="number"
          min={0}
          maw={360}
          label="Lookback window (minutes)"
          description="Each run re-reads this many minutes below the watermark, for rows committed late; the merge keeps them once"
          value={db.lookbackMinutes}
          onChange={(e) => setDb({ lookbackMinutes: e.currentTarget.value })}
          error={dbErr('lookback_minutes')}
          data-testid="job-db-lookback"
        />
      )}
    </Stack>
  );
}
