import { Group, ScrollArea, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconEqual, IconFile } from '@tabler/icons-react';
import { useNavigate } from 'react-router';
import type { Run } from '../api/types';
import { formatBytes, formatCount, formatDateTime, formatDuration, formatRelative } from '../lib/format';
import { baseName, isActive, rowsRead, runDurationSeconds, skippedLabel, skippedReason, triggerLabel } from '../lib/runs';
import { RunProgress } from './RunProgress';
import { StatusBadge } from './StatusBadge';
import { TableSkeleton } from './States';

const COLUMNS = ['Status', 'Job', 'Trigger', 'Object', 'Started', 'Duration', 'Read', 'Loaded', 'Rejected'];

export function RunsTable({ runs, loading, now }: { runs: Run[] | undefined; loading?: boolean; now: number }) {
  const navigate = useNavigate();
  return (
    <ScrollArea type="auto">
      <Table miw={980} data-testid="runs-table" stickyHeader>
        <Table.Thead>
          <Table.Tr>
            {COLUMNS.map((c, i) => (
              <Table.Th key={c} ta={i >= 6 ? 'right' : undefined} style={{ whiteSpace: 'nowrap' }}>
                <Text size="xs" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: '0.04em' }}>
                  {c}
                </Text>
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        {loading && !runs ? (
          <TableSkeleton columns={COLUMNS.length} />
        ) : (
          <Table.Tbody>
            {(runs ?? []).map((run) => {
              const active = isActive(run);
              const open = () => navigate(`/etl/runs/${encodeURIComponent(run.id)}`);
              const started = run.started_at ?? run.created_at;
              const skipped = active ? '' : skippedReason(run);
              return (
                <Table.Tr
                  key={run.id}
                  className="clickable-row"
                  tabIndex={0}
                  onClick={open}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') open();
                  }}
                  data-testid="run-row"
                  data-run-id={run.id}
                  data-status={run.status}
                  data-object-name={run.object?.name ?? ''}
                  data-rows-read={rowsRead(run)}
                  data-rows-loaded={run.rows_loaded ?? 0}
                  data-rows-rejected={run.rows_rejected ?? 0}
                  data-dest-table={run.dest?.table ?? ''}
                  data-skipped={skipped ? 'true' : undefined}
                >
                  <Table.Td style={{ verticalAlign: 'middle', minWidth: 150 }}>
                    <Stack gap={6}>
                      <StatusBadge status={run.status} />
                      {active && <RunProgress run={run} width={130} compact />}
                      {skipped && (
                        <Tooltip label={skipped} multiline maw={360}>
                          <Group gap={4} wrap="nowrap" data-testid="run-skipped" data-reason={skipped}>
                            <IconEqual size={12} stroke={2} color="var(--mantine-color-gray-6)" />
                            <Text size="xs" c="dimmed">
                              Skipped: {skippedLabel(skipped)}
                            </Text>
                          </Group>
                        </Tooltip>
                      )}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={500} truncate maw={200}>
                      {run.job_name || '—'}
                    </Text>
                    <Text size="xs" c="dimmed" truncate maw={200}>
                      → {run.dest?.dataset}.{run.dest?.table}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{triggerLabel(run.trigger)}</Text>
                  </Table.Td>
                  <Table.Td>
                    {run.object ? (
                      <Tooltip label={`${run.object.bucket}/${run.object.name}`}>
                        <Group gap={6} wrap="nowrap" maw={240}>
                          <IconFile size={14} stroke={1.6} color="var(--mantine-color-gray-6)" style={{ flex: 'none' }} />
                          <Stack gap={0} style={{ minWidth: 0 }}>
                            <Text size="sm" truncate>
                              {baseName(run.object.name)}
                            </Text>
                            <Text size="xs" c="dimmed">
                              {formatBytes(run.object.size)}
                            </Text>
                          </Stack>
                        </Group>
                      </Tooltip>
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Tooltip label={formatDateTime(started)}>
                      <Text size="sm">{formatRelative(started, now)}</Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td ta="right" className="tabular" style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm">{formatDuration(runDurationSeconds(run, now))}</Text>
                  </Table.Td>
                  <Table.Td ta="right" className="tabular" data-testid="run-rows-read">
                    <Text size="sm">{formatCount(rowsRead(run))}</Text>
                  </Table.Td>
                  <Table.Td ta="right" className="tabular" data-testid="run-rows-loaded">
                    <Text size="sm" fw={run.rows_loaded > 0 ? 600 : undefined}>
                      {formatCount(run.rows_loaded)}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" className="tabular" data-testid="run-rows-rejected">
                    <Text size="sm" c={run.rows_rejected > 0 ? 'orange.8' : undefined} fw={run.rows_rejected > 0 ? 600 : undefined}>
                      {formatCount(run.rows_rejected)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        )}
      </Table>
    </ScrollArea>
  );
}
