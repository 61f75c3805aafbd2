import { Divider, Paper, SimpleGrid, Stack, Switch, Text } from '@mantine/core';
import { useConnections } from '../../../api/queries';
import type { JobView } from '../../../api/types';
import { SchedulePicker } from '../../../components/SchedulePicker';
import { fieldError } from '../../../lib/fieldErrors';
import { isLatestOnly, loadModeOf, newJobBody, SCHEMA_EVOLUTIONS, type Draft } from '../JobEditor';
import { FILE_MODES } from '../JobSourceStep';

const MODES = { append: 'Append', truncate: 'Replace (snapshot)', merge: 'Merge on a key' } as const;

/** The review lines of a draft: what the job reads, how it loads and where (label, value). */
export function reviewOf(d: Draft, connectionName: string): [string, string][] {
  const body = newJobBody(d);
  const mode = loadModeOf(d);
  const rows: [string, string][] = [['Name', d.name.trim()]];
  if (d.kind === 'file') {
    const f = d.file;
    rows.push(['Source', f.connectionId ? connectionName : 'Drop folder']);
    rows.push(['Files', `${f.prefix.trim()}${f.pattern.trim()}${f.subfolders ? ' (with subfolders)' : ''}`]);
    if (f.connectionId) rows.push(['Which files', FILE_MODES.find((m) => m.value === f.mode)?.label ?? f.mode]);
  } else {
    const db = body.database;
    rows.push(['Source', connectionName]);
    rows.push(['Table', [db?.schema, db?.table].filter(Boolean).join('.')]);
    if (mode !== 'truncate')
      rows.push([
        'Watermark',
        db?.timestamp_column ? `${db.timestamp_column}, first run: ${db.historical_start ? `from ${db.historical_start.slice(0, 10)}` : 'all rows'}` : 'None: the whole table each run',
      ]);
    if (db?.lookback_minutes) rows.push(['Lookback', `${db.lookback_minutes} minutes`]);
  }
  rows.push(['Load strategy', isLatestOnly(d) ? 'Replace with the newest file' : MODES[mode]]);
  if (mode === 'merge') rows.push(['Merge keys', body.merge_keys?.join(', ') || 'The table’s primary key']);
  rows.push(['New columns', SCHEMA_EVOLUTIONS.find((s) => s.value === d.schemaEvolution)?.label ?? d.schemaEvolution]);
  rows.push(['Destination', `${d.dataset.trim() || 'raw_data'}.${d.table.trim() || '(from the job name)'}`]);
  if (d.destColumns.length) rows.push(['Column changes', d.destColumns.map((o) => `${o.source} → ${o.name ?? o.source}${o.type ? ` ${o.type}` : ''}`).join('; ')]);
  rows.push(['Lineage columns', d.lineage ? 'Kept' : 'Only the run id']);
  if (d.partition) rows.push(['Partition', `By day on ${d.partition}`]);
  if (d.clusterBy.length) rows.push(['Cluster by', d.clusterBy.join(', ')]);
  return rows;
}

/** Step 5: the schedule, and a review of everything before "Create". */
export function ReviewStep({ draft: d, set, job, err }: { draft: Draft; set: (p: Partial<Draft>) => void; job: JobView | null; err: unknown }) {
  const conns = useConnections();
  const id = d.kind === 'file' ? d.file.connectionId : d.db.connectionId;
  const conn = conns.data?.find((c) => c.id === id);
  const fe = fieldError(err);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
      <Stack gap="md">
        <Text fw={600}>Schedule</Text>
        <SchedulePicker value={d.schedule} onChange={(schedule) => set({ schedule })} serverError={fe?.field.startsWith('schedule.') ? err : undefined} />
        {!job && (
          <Switch
            label="Enabled"
            description="A disabled job neither runs on schedule nor on dropped files"
            checked={d.enabled}
            onChange={(e) => set({ enabled: e.currentTarget.checked })}
            data-testid="job-enabled"
          />
        )}
      </Stack>
      <Stack gap="md">
        <Text fw={600}>Review</Text>
        <Paper withBorder radius="md" p="md" data-testid="job-review">
          <Stack gap={6}>
            {reviewOf(d, conn?.name ?? '').map(([k, v], i) => (
              <div key={k}>
                {i > 0 && <Divider mb={6} />}
                <SimpleGrid cols={2} spacing="xs" data-testid="review-row" data-label={k}>
                  <Text size="sm" c="dimmed">
                    {k}
                  </Text>
                  <Text size="sm" className={k === 'Files' || k === 'Destination' || k === 'Table' ? 'mono' : undefined} style={{ wordBreak: 'break-word' }}>
                    {v}
                  </Text>
                </SimpleGrid>
              </div>
            ))}
          </Stack>
        </Paper>
      </Stack>
    </SimpleGrid>
  );
}
