import { Progress, Stack, Text } from '@mantine/core';
import type { Run } from '../api/types';
import { formatCompactCount, formatCount } from '../lib/format';
import { rowsRead, runPhase } from '../lib/runs';

/** A progress bar with the phase, the partitions staged (partitioned runs) and rows read so far, for pending and running runs. */
export function RunProgress({ run, width = 140, compact = false }: { run: Run; width?: number | string; compact?: boolean }) {
  const phase = runPhase(run);
  const read = rowsRead(run);
  return (
    <Stack gap={3} w={width} data-testid="run-progress">
      <Progress
        value={phase.percent}
        size="sm"
        striped
        animated
        color={run.status === 'pending' ? 'gray' : 'blue'}
        aria-label={`${phase.label}, ${read} rows read`}
      />
      <Text size="xs" c="dimmed" className="tabular" truncate>
        {phase.label}
        {run.partitions ? ` · ${run.partitions.done}/${run.partitions.total} partitions` : ''}
        {read > 0 ? ` · ${compact ? formatCompactCount(read) : formatCount(read)} rows` : ''}
      </Text>
    </Stack>
  );
}
